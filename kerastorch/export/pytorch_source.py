def to_pytorch(model, outdir):
    raise NotImplementedError

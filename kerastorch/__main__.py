"""The command line: ``kerastorch run SCRIPT [ARGS...]`` runs an unmodified Keras program on kerastorch, and
``kerastorch export --to pytorch MODEL.keras OUTDIR`` writes a saved model as plain PyTorch.

Also ``python -m kerastorch ...``. Importing this module costs nothing beyond ``os`` and ``sys``;
the work happens in ``main``.
"""
import os
import sys

USAGE = """\
usage: kerastorch run SCRIPT [ARGS...]
       kerastorch export --to {pytorch,onnx,torch} MODEL OUTDIR

Runs the Keras program SCRIPT on kerastorch, unmodified: `import keras`, `from keras.x.y import z`,
`from tensorflow import keras` and `from tensorflow.keras.x import y` resolve to kerastorch (anything else
from tensorflow raises an ImportError). SCRIPT sees the sys.argv, __file__, sys.path[0] and
__name__ == "__main__" that `python SCRIPT ARGS...` gives it, and the exit status is python's.

export loads MODEL (a .keras or Keras 2 .h5 file) and writes into OUTDIR: with --to pytorch, model.py (an
nn.Module's source, without kerastorch) and model.safetensors (its weights); with --to onnx, model.onnx; with
--to torch, model.pt2 (a torch.export program).
"""
EXPORT_TARGETS = ("pytorch", "onnx", "torch")


def main(argv=None):
    """The ``kerastorch`` command.

    Args:
        argv: the arguments after the program name; ``sys.argv[1:]`` when None.

    Returns:
        The exit status: the script's (see ``run_script``), 0 after ``--help``, 2 for a usage error.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]) or argv[:2] in (["run", "-h"], ["run", "--help"]):
        print(USAGE, end="")
        return 0
    if not argv:
        problem = "missing command"
    elif argv[0] == "export":
        return export_command(argv[1:])
    elif argv[0] != "run":
        problem = f"unknown command {argv[0]!r}"
    elif len(argv) < 2:
        problem = "run needs a SCRIPT"
    else:
        return run_script(argv[1], argv[2:])
    print(f"{USAGE}\nkerastorch: error: {problem}", file=sys.stderr)
    return 2


def export_command(args):
    """``kerastorch export --to TARGET MODEL OUTDIR``.

    Args:
        args: the arguments after ``export``.

    Returns:
        0 once the files are written; 1 when the model cannot be loaded or exported (the reason on stderr); 2 for
        a usage error.
    """
    import argparse

    parser = argparse.ArgumentParser(prog="kerastorch export", description="Write a saved Keras model as plain "
                                     "PyTorch source and weights, an ONNX file or a torch.export program.")
    parser.add_argument("--to", required=True, choices=EXPORT_TARGETS, help="what to write")
    parser.add_argument("model", help="the saved model: a .keras or Keras 2 .h5 file")
    parser.add_argument("outdir", help="the folder to write into (made when missing)")
    try:
        options = parser.parse_args(args)
    except SystemExit as exit:   # argparse has printed the usage and the problem
        return exit.code

    from kerastorch import export, saving

    try:
        model = saving.load_model(options.model, compile=False)
        if options.to == "pytorch":
            written = export.to_pytorch(model, options.outdir)
        else:
            os.makedirs(options.outdir, exist_ok=True)
            name = "model.onnx" if options.to == "onnx" else "model.pt2"
            written = (export.export_model(model, os.path.join(options.outdir, name), format=options.to,
                                           verbose=False),)
    except (OSError, ValueError, ImportError, RuntimeError) as error:
        print(f"kerastorch export: error: {error}", file=sys.stderr)
        return 1
    print("Wrote " + " and ".join(written))
    return 0


def run_script(script, args=()):
    """Run the Python file ``script`` as ``__main__``, with the Keras import hook installed.

    As ``python SCRIPT ARGS...`` does: ``sys.argv`` is ``[script, *args]``, ``__file__`` is the script's absolute
    path, ``sys.path[0]`` its directory (symbolic links resolved), and ``sys.modules["__main__"]`` the script's
    module. A ``SystemExit`` (``sys.exit(3)``) and ``KeyboardInterrupt`` propagate to the interpreter, which
    handles them as it would for the script.

    Args:
        script: the path of the Python file, as given on the command line.
        args: the script's own arguments.

    Returns:
        0 when the script ends normally; 1 after printing the traceback of an uncaught exception (through
        ``sys.excepthook``, without the runner's frames); 2 when the file cannot be read.
    """
    import builtins
    import importlib.machinery
    import io
    import types

    from kerastorch import _porting

    try:
        with io.open_code(script) as file:
            source = file.read()
    except OSError as error:
        print(f"kerastorch run: can't open file {os.path.abspath(script)!r}: [Errno {error.errno}] "
              f"{error.strerror}", file=sys.stderr)
        return 2

    # Python makes __file__ absolute by joining, without normalizing, and puts the real directory on sys.path.
    path = os.path.join(os.getcwd(), script)
    main_module = types.ModuleType("__main__")
    main_module.__file__ = path
    main_module.__cached__ = None
    main_module.__builtins__ = builtins
    main_module.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
    sys.argv[:] = [script, *args]
    if not getattr(sys.flags, "safe_path", False):
        sys.path[:1] = [os.path.dirname(os.path.realpath(path))]
    _porting.install()
    sys.modules["__main__"] = main_module
    try:
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, main_module.__dict__)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as error:
        # Dropping this frame makes the traceback start in the script, as under python. The exception itself
        # must carry the shortened traceback: the default hook prints the exception's own.
        error.with_traceback(error.__traceback__.tb_next)
        sys.excepthook(type(error), error, error.__traceback__)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

/* The fused first-convolution + 2x2 max-pooling CPU kernels of kerastorch (see _conv_pool_kernel.py, which
   compiles this file with the system's C compiler on first use and loads it with ctypes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Channels go 16 at a time as GCC/Clang vectors (one AVX-512 register, two AVX2 ones): CO must be a multiple of
   16. Comparisons give lane masks (-1 or 0) that select with bitwise operations. */
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint8_t vb __attribute__((vector_size(16)));
#define B 16

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf select(vi mask, vf yes, vf no) { return (vf)((mask & (vi)yes) | (~mask & (vi)no)); }

/* x: [N][H][W][CI], w: [KH][KW][CI][CO] (Keras's layout), b: [CO] or NULL.
   Convolution 'valid' with stride 1, then 2x2 max pooling with stride 2 ('valid').
   out: [N][HO][WO][CO] pooled values; won: [N][HO][WO][CO], the winning window position (2 * row + column). */
void conv_pool_forward(const float *x, const float *w, const float *b, float *out, uint8_t *won,
                       int N, int H, int W, int CI, int KH, int KW, int CO, int threads)
{
    const int HO = (H - KH + 1) / 2, WO = (W - KW + 1) / 2;
    #pragma omp parallel for num_threads(threads) schedule(static)
    for (int n = 0; n < N; n++) {
        for (int i = 0; i < HO; i++) {
            for (int j = 0; j < WO; j++) {
                const size_t at = (((size_t)n * HO + i) * WO + j) * CO;
                for (int cb = 0; cb < CO; cb += B) {
                    /* the window's four convolution outputs, accumulated side by side (independent chains) */
                    const vf start = b ? load(b + cb) : (vf){0};
                    vf acc[4] = {start, start, start, start};
                    for (int kh = 0; kh < KH; kh++) {
                        for (int kw = 0; kw < KW; kw++) {
                            const float *x0 = x + (((size_t)n * H + 2 * i + kh) * W + 2 * j + kw) * CI;
                            const float *x1 = x0 + CI, *x2 = x0 + (size_t)W * CI, *x3 = x2 + CI;
                            const float *wp = w + (size_t)(kh * KW + kw) * CI * CO + cb;
                            for (int ci = 0; ci < CI; ci++) {
                                const vf wv = load(wp + (size_t)ci * CO);
                                acc[0] += x0[ci] * wv;
                                acc[1] += x1[ci] * wv;
                                acc[2] += x2[ci] * wv;
                                acc[3] += x3[ci] * wv;
                            }
                        }
                    }
                    /* torch's rule, in window order: the first position, then any larger value or a NaN, wins */
                    vf best = acc[0];
                    vi arg = (vi){0};
                    for (int p = 1; p < 4; p++) {
                        const vi take = (vi)(acc[p] > best) | (vi)(acc[p] != acc[p]);
                        best = select(take, acc[p], best);
                        arg = (take & p) | (~take & arg);
                    }
                    store(out + at + cb, best);
                    const vb arg8 = __builtin_convertvector(arg, vb);
                    memcpy(won + at + cb, &arg8, sizeof arg8);
                }
            }
        }
    }
}

/* The weight and bias gradients from the pooled gradient g: [N][HO][WO][CO] and won. dw: [KH][KW][CI][CO],
   db: [CO], both written (not accumulated). Each thread sums its samples; the threads' sums are added in thread
   order, so the result does not depend on scheduling. */
int conv_pool_backward(const float *x, const float *g, const uint8_t *won, float *dw, float *db,
                       int N, int H, int W, int CI, int KH, int KW, int CO, int threads)
{
    const int HO = (H - KH + 1) / 2, WO = (W - KW + 1) / 2;
    const size_t nw = (size_t)KH * KW * CI * CO;
    if (threads < 1) threads = 1;
    float *partial = calloc((size_t)threads * (nw + CO), sizeof(float));
    if (partial == NULL) return 1;
    #pragma omp parallel num_threads(threads)
    {
        int t = 0;
        #ifdef _OPENMP
        t = omp_get_thread_num();
        #endif
        float *dwl = partial + (size_t)t * (nw + CO), *dbl = dwl + nw;
        #pragma omp for schedule(static)
        for (int n = 0; n < N; n++) {
            for (int i = 0; i < HO; i++) {
                for (int j = 0; j < WO; j++) {
                    const size_t at = (((size_t)n * HO + i) * WO + j) * CO;
                    for (int cb = 0; cb < CO; cb += B) {
                        const vf gr = load(g + at + cb);
                        vb won8;
                        memcpy(&won8, won + at + cb, sizeof won8);
                        const vi winner = __builtin_convertvector(won8, vi);
                        store(dbl + cb, load(dbl + cb) + gr);
                        vf gm[4];
                        for (int p = 0; p < 4; p++) gm[p] = (vf)((vi)(winner == p) & (vi)gr);
                        for (int kh = 0; kh < KH; kh++) {
                            for (int kw = 0; kw < KW; kw++) {
                                const float *x0 = x + (((size_t)n * H + 2 * i + kh) * W + 2 * j + kw) * CI;
                                const float *x1 = x0 + CI, *x2 = x0 + (size_t)W * CI, *x3 = x2 + CI;
                                float *dp = dwl + (size_t)(kh * KW + kw) * CI * CO + cb;
                                for (int ci = 0; ci < CI; ci++) {
                                    const vf sum = x0[ci] * gm[0] + x1[ci] * gm[1] + x2[ci] * gm[2] + x3[ci] * gm[3];
                                    store(dp + (size_t)ci * CO, load(dp + (size_t)ci * CO) + sum);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    memset(dw, 0, sizeof(float) * nw);
    memset(db, 0, sizeof(float) * CO);
    for (int t = 0; t < threads; t++) {
        const float *dwl = partial + (size_t)t * (nw + CO), *dbl = dwl + nw;
        for (size_t k = 0; k < nw; k++) dw[k] += dwl[k];
        for (int c = 0; c < CO; c++) db[c] += dbl[c];
    }
    free(partial);
    return 0;
}

/*
 * vmath.c: array forms of the vector math kernels (fcfit_vmath.h) and the
 * report of which instruction set the cloned kernels use on this CPU.
 *
 * The loops below are the vectorisable pattern every model kernel follows:
 * a flat loop over points calling the inline functions. FCFIT_VM_CLONES
 * builds each for AVX-512, AVX2 and baseline x86-64; the result bits do not
 * depend on which one runs (see the header).
 */
#include "fcfit/fcfit_vmath.h"

FCFIT_VM_CLONES
void fcfit_vm_exp_array(size_t n, const double *in, double *out)
{
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        out[k] = fcfit_vm_exp(in[k]);
    }
}

FCFIT_VM_CLONES
void fcfit_vm_expm1_array(size_t n, const double *in, double *out)
{
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        out[k] = fcfit_vm_expm1(in[k]);
    }
}

FCFIT_VM_CLONES
void fcfit_vm_log_array(size_t n, const double *in, double *out)
{
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        out[k] = fcfit_vm_log(in[k]);
    }
}

const char *fcfit_vm_isa(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        return "avx512";
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        return "avx2";
    }
#endif
    return "baseline";
}

size_t fcfit_vm_width(void)
{
    const char *isa = fcfit_vm_isa();
    return isa[3] == '5' ? 8 : (isa[0] == 'a' ? 4 : 2);
}

/**
 * @file fcfit_optim.h
 * Optimizer stages (NLopt gradient-free). This issue only exposes version
 * information; the optimize and refine stages build on it.
 */
#ifndef FCFIT_OPTIM_H
#define FCFIT_OPTIM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Write "major.minor.bugfix" of the linked NLopt into buf. */
void fcfit_optim_nlopt_version(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_OPTIM_H */

/*
 * version.c: the NLopt version, recorded in result-file provenance.
 */
#include "fcfit/fcfit_optim.h"

#include <nlopt.h>
#include <stdio.h>

void fcfit_optim_nlopt_version(char *buf, size_t cap)
{
    int major = 0, minor = 0, bugfix = 0;
    nlopt_version(&major, &minor, &bugfix);
    snprintf(buf, cap, "%d.%d.%d", major, minor, bugfix);
}

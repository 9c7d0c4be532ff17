/*
 * log.c: rank-prefixed messages on stderr.
 *
 * One fprintf per message so that lines from different ranks do not
 * interleave mid-line in a SLURM log.
 */
#include "fcfit/fcfit_log.h"

#include <stdarg.h>
#include <stdio.h>

#include "fcfit/fcfit_status.h"

static fcfit_log_level g_level = FCFIT_LOG_INFO;
static int g_rank = -1;
static int g_all_info = 0;

void fcfit_log_set_level(fcfit_log_level level) { g_level = level; }

fcfit_log_level fcfit_log_get_level(void) { return g_level; }

void fcfit_log_set_rank(int rank, int all_ranks_info)
{
    g_rank = rank;
    g_all_info = all_ranks_info;
}

void fcfit_log(fcfit_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char body[4096];
    va_list ap;

    if (level > g_level) {
        return;
    }
    if (level >= FCFIT_LOG_INFO && g_rank > 0 && !g_all_info) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (g_rank >= 0) {
        fprintf(stderr, "fcfit [rank %d] %s: %s\n", g_rank, names[level], body);
    } else if (level == FCFIT_LOG_INFO) {
        fprintf(stderr, "fcfit: %s\n", body);
    } else {
        fprintf(stderr, "fcfit %s: %s\n", names[level], body);
    }
    fflush(stderr);
}

void fcfit_log_error_record(void)
{
    fcfit_log(FCFIT_LOG_ERROR, "%s", fcfit_error_message());
    if (g_level >= FCFIT_LOG_DEBUG && fcfit_error_traceback()[0] != '\0') {
        fprintf(stderr, "%s", fcfit_error_traceback());
    }
}

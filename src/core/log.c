/*
 * log.c: rank-prefixed messages on stderr, each with the local time in ISO 8601
 * (with its UTC offset) and the seconds elapsed since the process started:
 *
 *   fcfit 2025-06-01T12:22:33+02:00 +12.345s: created results.h5 ...
 *   fcfit 2025-06-01T12:22:35+02:00 +14.020s [rank 2] warning: ...
 *
 * so that a SLURM log tells when each line was written and how long the run
 * had been going, whichever node wrote it. One fprintf per message so that
 * lines from different ranks do not interleave mid-line.
 */
#include "fcfit/fcfit_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fcfit/fcfit_status.h"

static fcfit_log_level g_level = FCFIT_LOG_INFO;
static int g_rank = -1;
static int g_all_info = 0;
static struct timespec g_start;
static int g_started = 0;

void fcfit_log_set_level(fcfit_log_level level) { g_level = level; }

fcfit_log_level fcfit_log_get_level(void) { return g_level; }

void fcfit_log_set_rank(int rank, int all_ranks_info)
{
    g_rank = rank;
    g_all_info = all_ranks_info;
}

void fcfit_log_start_clock(void)
{
    clock_gettime(CLOCK_MONOTONIC, &g_start);
    g_started = 1;
}

double fcfit_log_elapsed(void)
{
    struct timespec now;
    if (!g_started) {
        fcfit_log_start_clock();
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - g_start.tv_sec) + 1e-9 * (double)(now.tv_nsec - g_start.tv_nsec);
}

void fcfit_log_stamp(char *buf, size_t cap)
{
    time_t t = time(NULL);
    struct tm tm;
    char zone[8] = "";
    double el = fcfit_log_elapsed();
    if (cap == 0) {
        return;
    }
    if (localtime_r(&t, &tm) == NULL) {
        snprintf(buf, cap, "+%.3fs", el);
        return;
    }
    /* strftime's %z gives +0200; ISO 8601's extended form wants +02:00. */
    if (strftime(zone, sizeof zone, "%z", &tm) == 5) {
        zone[6] = '\0';
        zone[5] = zone[4];
        zone[4] = zone[3];
        zone[3] = ':';
    }
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s +%.3fs", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, zone, el);
}

void fcfit_log(fcfit_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char body[4096], stamp[64];
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
    fcfit_log_stamp(stamp, sizeof stamp);
    if (g_rank >= 0) {
        fprintf(stderr, "fcfit %s [rank %d] %s: %s\n", stamp, g_rank, names[level], body);
    } else if (level == FCFIT_LOG_INFO) {
        fprintf(stderr, "fcfit %s: %s\n", stamp, body);
    } else {
        fprintf(stderr, "fcfit %s %s: %s\n", stamp, names[level], body);
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

/**
 * @file fcfit_log.h
 * Rank-aware logging to stderr; every line carries the local time (ISO 8601) and the
 * seconds since the process started.
 *
 * Messages are prefixed with the MPI rank once fcfit_log_set_rank() was called
 * (the app does so after MPI_Init; this module never calls MPI). By default,
 * info and debug messages come only from rank 0; warnings and errors from
 * every rank. Kernels never log.
 */
#ifndef FCFIT_LOG_H
#define FCFIT_LOG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fcfit_log_level {
    FCFIT_LOG_ERROR = 0,
    FCFIT_LOG_WARN = 1,
    FCFIT_LOG_INFO = 2,
    FCFIT_LOG_DEBUG = 3
} fcfit_log_level;

/** Set the maximum level printed (default FCFIT_LOG_INFO). */
void fcfit_log_set_level(fcfit_log_level level);

/** Current maximum level. */
fcfit_log_level fcfit_log_get_level(void);

/** Record this process's rank (-1: not under MPI, no prefix) and whether all ranks print info. */
void fcfit_log_set_rank(int rank, int all_ranks_info);

/** Start the clock of the elapsed times in log lines (main calls it first; otherwise the first
 *  message starts it). */
void fcfit_log_start_clock(void);

/** Seconds since fcfit_log_start_clock. */
double fcfit_log_elapsed(void);

/** The stamp of a log line: local time in ISO 8601 with its UTC offset and the elapsed time,
 *  "2025-06-01T12:22:33+02:00 +12.345s". */
void fcfit_log_stamp(char *buf, size_t cap);

/** Print one message (a newline is appended), after "fcfit", the stamp and the rank. */
void fcfit_log(fcfit_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Print the recorded error (message and, at debug level, traceback) as one error message. */
void fcfit_log_error_record(void);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_LOG_H */

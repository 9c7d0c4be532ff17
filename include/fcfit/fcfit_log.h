/**
 * @file fcfit_log.h
 * Rank-aware logging to stderr.
 *
 * Messages are prefixed with the MPI rank once fcfit_log_set_rank() was called
 * (the app does so after MPI_Init; this module never calls MPI). By default,
 * info and debug messages come only from rank 0; warnings and errors from
 * every rank. Kernels never log.
 */
#ifndef FCFIT_LOG_H
#define FCFIT_LOG_H

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

/** Print one message (a newline is appended). */
void fcfit_log(fcfit_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Print the recorded error (message and, at debug level, traceback) as one error message. */
void fcfit_log_error_record(void);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_LOG_H */

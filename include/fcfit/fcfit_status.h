/**
 * @file fcfit_status.h
 * Status codes, the per-thread error record and the error macros.
 *
 * Every fcfit function that can fail returns an fcfit_status. The first
 * failure records a message (what went wrong, naming the file, key or
 * parameter involved); every caller on the way up adds one traceback frame.
 * The message is printed once, by the application, which maps the status to
 * the documented process exit code (fcfit_status_exit_code):
 *
 *   0  success
 *   1  runtime failure (I/O on outputs, MPI, HDF5, numerics, internal)
 *   2  bad command line, job file or input data (nothing was run)
 *   3  stopped early by a signal; the results file is resumable
 *
 * The list below is the single source of the enum, the messages and the exit
 * codes (an X-macro, as in SUNDIALS' error list).
 */
#ifndef FCFIT_STATUS_H
#define FCFIT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, exit_code, description) */
#define FCFIT_STATUS_LIST(X)                                                      \
    X(FCFIT_OK, 0, "success")                                                     \
    X(FCFIT_ERR_ARG, 2, "invalid argument")                                       \
    X(FCFIT_ERR_USAGE, 2, "bad command line")                                     \
    X(FCFIT_ERR_CONFIG, 2, "invalid job file or option")                          \
    X(FCFIT_ERR_UNKNOWN_NAME, 2, "unknown name")                                  \
    X(FCFIT_ERR_INPUT, 2, "invalid or unreadable input data")                     \
    X(FCFIT_ERR_MISMATCH, 2, "existing results file belongs to a different job")  \
    X(FCFIT_ERR_NOMEM, 1, "out of memory")                                        \
    X(FCFIT_ERR_IO, 1, "input/output error")                                      \
    X(FCFIT_ERR_HDF5, 1, "HDF5 error")                                            \
    X(FCFIT_ERR_MPI, 1, "MPI error")                                              \
    X(FCFIT_ERR_GSL, 1, "GSL error")                                              \
    X(FCFIT_ERR_NLOPT, 1, "NLopt error")                                          \
    X(FCFIT_ERR_NUMERIC, 1, "numerical failure")                                  \
    X(FCFIT_ERR_PROTOCOL, 1, "message protocol error")                            \
    X(FCFIT_ERR_INTERNAL, 1, "internal error")                                    \
    X(FCFIT_ERR_INTERRUPTED, 3, "stopped early by a signal (resumable)")

typedef enum fcfit_status {
#define FCFIT_X_ENUM(name, code, text) name,
    FCFIT_STATUS_LIST(FCFIT_X_ENUM)
#undef FCFIT_X_ENUM
    FCFIT_STATUS_COUNT
} fcfit_status;

/** Short description of a status code (never NULL). */
const char *fcfit_status_str(fcfit_status s);

/** Name of the enum constant ("FCFIT_ERR_CONFIG"), never NULL. */
const char *fcfit_status_name(fcfit_status s);

/** Documented process exit code for a status (0, 1, 2 or 3). */
int fcfit_status_exit_code(fcfit_status s);

/**
 * Start an error: record code and message (printf format) with the source
 * location, and return the code. A later error before fcfit_error_clear()
 * replaces an earlier one only if the earlier one was already reported.
 */
fcfit_status fcfit_error_set(fcfit_status code, const char *file, int line, const char *func,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/** Add one traceback frame ("at func (file:line)") and return the code. */
fcfit_status fcfit_error_trace(fcfit_status code, const char *file, int line, const char *func);

/**
 * Put context in front of the recorded message ("job.yaml:7: connectome.weights: " + message),
 * so that an error raised deep down names what the user wrote. No effect without an error.
 */
void fcfit_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** The recorded message of the current error ("" when none). */
const char *fcfit_error_message(void);

/** The recorded traceback, one frame per line ("" when none). */
const char *fcfit_error_traceback(void);

/** The recorded status (FCFIT_OK when none). */
fcfit_status fcfit_error_status(void);

/** Forget the current error. */
void fcfit_error_clear(void);

/** Start an error and return it from the current function. */
#define FCFIT_FAIL(code, ...) return fcfit_error_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/** Always-on check: when cond is false, start an error and return it. */
#define FCFIT_REQUIRE(cond, code, ...)                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            FCFIT_FAIL(code, __VA_ARGS__);                                                         \
        }                                                                                          \
    } while (0)

/** Propagate a non-OK status from call, adding a traceback frame. */
#define FCFIT_CHECK(call)                                                                          \
    do {                                                                                           \
        fcfit_status fcfit_s_ = (call);                                                            \
        if (fcfit_s_ != FCFIT_OK) {                                                                \
            return fcfit_error_trace(fcfit_s_, __FILE__, __LINE__, __func__);                      \
        }                                                                                          \
    } while (0)

/*
 * Variants for functions with a single cleanup path: they store the status in
 * the local variable `st` and jump to the label `cleanup`.
 */
#define FCFIT_TRY(call)                                                                            \
    do {                                                                                           \
        st = (call);                                                                               \
        if (st != FCFIT_OK) {                                                                      \
            fcfit_error_trace(st, __FILE__, __LINE__, __func__);                                   \
            goto cleanup;                                                                          \
        }                                                                                          \
    } while (0)

#define FCFIT_FAIL_GOTO(code, ...)                                                                 \
    do {                                                                                           \
        st = fcfit_error_set((code), __FILE__, __LINE__, __func__, __VA_ARGS__);                   \
        goto cleanup;                                                                              \
    } while (0)

#define FCFIT_REQUIRE_GOTO(cond, code, ...)                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            FCFIT_FAIL_GOTO(code, __VA_ARGS__);                                                    \
        }                                                                                          \
    } while (0)

/** Allocation helper: on NULL, start FCFIT_ERR_NOMEM naming what failed and jump to cleanup. */
#define FCFIT_ALLOC_GOTO(ptr, count, what)                                                         \
    do {                                                                                           \
        (ptr) = calloc((count) > 0 ? (size_t)(count) : 1u, sizeof(*(ptr)));                        \
        if ((ptr) == NULL) {                                                                       \
            FCFIT_FAIL_GOTO(FCFIT_ERR_NOMEM, "cannot allocate %s (%zu elements)", (what),          \
                            (size_t)(count));                                                      \
        }                                                                                          \
    } while (0)

#ifdef FCFIT_ENABLE_ERROR_CHECKS
#define FCFIT_ASSERT(cond)                                                                         \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            FCFIT_FAIL(FCFIT_ERR_INTERNAL, "assertion failed: %s", #cond);                         \
        }                                                                                          \
    } while (0)
#else
#define FCFIT_ASSERT(cond) ((void)0)
#endif

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_STATUS_H */

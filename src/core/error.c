/*
 * error.c: the status table and the per-thread error record.
 *
 * The record is thread-local so that optimizer threads on the coordinator
 * (later stages) keep their own errors. The first error of a failure chain
 * writes the message; the callers on the way up only append traceback
 * frames, so the message is printed once with a short traceback under it
 * (PETSc's initial/repeat split).
 */
#include "fcfit/fcfit_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define FCFIT_ERR_MSG_LEN 2048
#define FCFIT_ERR_TRACE_LEN 2048

typedef struct error_record {
    fcfit_status code;
    char message[FCFIT_ERR_MSG_LEN];
    char trace[FCFIT_ERR_TRACE_LEN];
} error_record;

static _Thread_local error_record g_err;

static const char *const status_text[] = {
#define FCFIT_X_TEXT(name, code, text) text,
    FCFIT_STATUS_LIST(FCFIT_X_TEXT)
#undef FCFIT_X_TEXT
};

static const char *const status_names[] = {
#define FCFIT_X_NAME(name, code, text) #name,
    FCFIT_STATUS_LIST(FCFIT_X_NAME)
#undef FCFIT_X_NAME
};

static const int status_exit[] = {
#define FCFIT_X_EXIT(name, code, text) code,
    FCFIT_STATUS_LIST(FCFIT_X_EXIT)
#undef FCFIT_X_EXIT
};

const char *fcfit_status_str(fcfit_status s)
{
    if ((unsigned)s >= (unsigned)FCFIT_STATUS_COUNT) {
        return "unknown status";
    }
    return status_text[s];
}

const char *fcfit_status_name(fcfit_status s)
{
    if ((unsigned)s >= (unsigned)FCFIT_STATUS_COUNT) {
        return "FCFIT_STATUS_UNKNOWN";
    }
    return status_names[s];
}

int fcfit_status_exit_code(fcfit_status s)
{
    if ((unsigned)s >= (unsigned)FCFIT_STATUS_COUNT) {
        return 1;
    }
    return status_exit[s];
}

static void append(char *buf, size_t cap, const char *text)
{
    size_t used = strlen(buf);
    if (used + 1 >= cap) {
        return;
    }
    snprintf(buf + used, cap - used, "%s", text);
}

fcfit_status fcfit_error_set(fcfit_status code, const char *file, int line, const char *func,
                             const char *fmt, ...)
{
    char frame[256];
    va_list ap;

    g_err.code = code;
    va_start(ap, fmt);
    vsnprintf(g_err.message, sizeof g_err.message, fmt, ap);
    va_end(ap);
    g_err.trace[0] = '\0';
    snprintf(frame, sizeof frame, "  at %s (%s:%d)\n", func, file, line);
    append(g_err.trace, sizeof g_err.trace, frame);
    return code;
}

fcfit_status fcfit_error_trace(fcfit_status code, const char *file, int line, const char *func)
{
    char frame[256];
    if (g_err.code == FCFIT_OK) {
        /* A status without a recorded message: record a generic one. */
        g_err.code = code;
        snprintf(g_err.message, sizeof g_err.message, "%s", fcfit_status_str(code));
        g_err.trace[0] = '\0';
    }
    snprintf(frame, sizeof frame, "  at %s (%s:%d)\n", func, file, line);
    append(g_err.trace, sizeof g_err.trace, frame);
    return code;
}

void fcfit_error_prefix(const char *fmt, ...)
{
    char pre[1024], old[FCFIT_ERR_MSG_LEN];
    va_list ap;
    if (g_err.code == FCFIT_OK) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    {
        size_t cap = sizeof g_err.message, lp = strlen(pre), lo;
        memcpy(old, g_err.message, sizeof old);
        old[sizeof old - 1] = '\0';
        lo = strlen(old);
        if (lp > cap - 1) {
            lp = cap - 1;
        }
        if (lo > cap - 1 - lp) {
            lo = cap - 1 - lp;
        }
        memcpy(g_err.message, pre, lp);
        memcpy(g_err.message + lp, old, lo);
        g_err.message[lp + lo] = '\0';
    }
}

const char *fcfit_error_message(void) { return g_err.message; }

const char *fcfit_error_traceback(void) { return g_err.trace; }

fcfit_status fcfit_error_status(void) { return g_err.code; }

void fcfit_error_clear(void)
{
    g_err.code = FCFIT_OK;
    g_err.message[0] = '\0';
    g_err.trace[0] = '\0';
}

/*
 * reader_guard.c: run a library-backed matrix reader in a child process.
 *
 * matio and libhdf5 parse complicated binary formats, and crafted files can
 * crash them (libhdf5 1.10.8 segfaults in H5F__accum_read on some) or make
 * them loop or allocate without bound. fcfit cannot fix the libraries, so
 * it contains them: the reader runs in a forked child that sends back the
 * matrix (or fcfit's error) through a pipe and leaves with _exit(0). The
 * parent reads the reply, then waits for the child:
 *
 *   - exit 0 with a complete reply: the reader's result, as if run in-process;
 *   - killed by a signal (SIGSEGV, SIGBUS, SIGABRT, SIGFPE, ...): the library
 *     crashed; FCFIT_ERR_INPUT naming the file, the library and the signal;
 *   - SIGXCPU: the CPU-time limit was reached (a parser loop), same status;
 *   - anything else: FCFIT_ERR_INPUT saying the reader ended unexpectedly.
 *
 * Nothing read in the child reaches the parent except the reply, and the
 * parent never calls the library on that file, so a crash cannot recur in
 * the parent. The child gets its crash signals back to their default action
 * (a sanitizer's handler would otherwise turn them into an ordinary exit),
 * no core dumps, a CPU limit, and, when AddressSanitizer is not in use (it
 * reserves terabytes of address space), an address-space limit of its
 * current size plus 4 GiB plus 16 times the file size. In AddressSanitizer
 * builds, a sanitizer report in the child is attributed to the library or
 * to fcfit by its stack (see guard_on_death): the first is bad input, the
 * second a bug that crashes the parent on purpose.
 *
 * fork() in an MPI process: the child makes no MPI call and leaves with
 * _exit, which runs no atexit handlers (MPI's, HDF5's) and flushes no stdio
 * buffers, so neither the MPI job nor the parent's open files notice it.
 * The parent is single-threaded while jobs load.
 */
#define _GNU_SOURCE /* pipe2 */
#include "matrix_io_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define GUARD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GUARD_ASAN 1
#endif
#endif

#ifdef GUARD_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* Exit codes of a child that a sanitizer stopped (sanitizer builds only), by who is at fault. */
#define GUARD_EXIT_LIBRARY_FAULT 70
#define GUARD_EXIT_FCFIT_FAULT 71

/* CPU seconds a child may use: reading a valid file of any realistic size takes far less. */
#ifdef FCFIT_FUZZING
#define GUARD_CPU_S 10
#else
#define GUARD_CPU_S 600
#endif

#define GUARD_MAGIC 0x46435244u /* "FCRD" */

/* The reply header; the message (msg_len bytes) and rows*cols doubles follow. */
typedef struct guard_reply {
    uint32_t magic;
    int32_t status;
    uint64_t msg_len;
    uint64_t rows;
    uint64_t cols;
} guard_reply;

static int guard_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return 0;
        }
        p += w;
        n -= (size_t)w;
    }
    return 1;
}

/* Read exactly n bytes; returns the number read (less at end of file or on error). */
static size_t guard_read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    return got;
}

#ifndef GUARD_ASAN
/* Current address-space size of this process in bytes (0 when unknown). */
static size_t guard_vm_size(void)
{
    unsigned long pages = 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    long page = sysconf(_SC_PAGESIZE);
    if (fp == NULL) {
        return 0;
    }
    if (fscanf(fp, "%lu", &pages) != 1 || page <= 0) {
        pages = 0;
    }
    fclose(fp);
    return (size_t)pages * (size_t)page;
}
#endif

#ifdef GUARD_ASAN
/*
 * Sanitizer builds (tests, fuzzing): AddressSanitizer also checks the memory
 * the libraries touch through its interceptors (memcpy, memset, ...), so an
 * overread inside libhdf5 on a crafted file ends the child with a report
 * rather than a signal. The report is kept, and the death callback tells
 * the parent whose fault it was: the first stack frame below the
 * interceptors and libc lies in a library (exit 70, bad input like a
 * crash) or in fcfit (exit 71: a bug, which the parent turns into a crash
 * the fuzzer or the test sees).
 */
static char guard_report[16384];

static void guard_on_report(const char *report)
{
    snprintf(guard_report, sizeof guard_report, "%s", report);
}

static int guard_report_blames_library(void)
{
    const char *line = guard_report;
    while (line != NULL && *line != '\0') {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
        char frame[1024];
        snprintf(frame, sizeof frame, "%.*s", (int)(len < sizeof frame ? len : sizeof frame - 1),
                 line);
        line = end != NULL ? end + 1 : NULL;
        if (strstr(frame, "    #") != frame || strstr(frame, "__interceptor_") != NULL ||
            strstr(frame, "__asan") != NULL || strstr(frame, "__sanitizer") != NULL ||
            strstr(frame, "libc.so") != NULL || strstr(frame, "sysdeps/") != NULL ||
            strstr(frame, "libasan") != NULL) {
            continue;
        }
        return strstr(frame, "libhdf5") != NULL || strstr(frame, "libmatio") != NULL ||
               strstr(frame, "libz.so") != NULL || strstr(frame, "libsz") != NULL ||
               strstr(frame, "libaec") != NULL;
    }
    return 0;
}

static void guard_on_death(void)
{
    _exit(guard_report_blames_library() ? GUARD_EXIT_LIBRARY_FAULT : GUARD_EXIT_FCFIT_FAULT);
}
#endif

static void guard_child(int fd, fcfit_matrix_reader_fn reader, const char *path, const char *name,
                        size_t vm_limit)
{
    static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
    struct rlimit rl;
    fcfit_matrix m = {0, 0, NULL};
    fcfit_status st;
    guard_reply rep;
    const char *msg;
    int ok;

    for (size_t k = 0; k < sizeof crash_signals / sizeof crash_signals[0]; k++) {
        signal(crash_signals[k], SIG_DFL);
    }
#ifdef GUARD_ASAN
    __asan_set_error_report_callback(guard_on_report);
    __sanitizer_set_death_callback(guard_on_death);
#endif
    rl.rlim_cur = rl.rlim_max = 0;
    (void)setrlimit(RLIMIT_CORE, &rl);
    rl.rlim_cur = GUARD_CPU_S;
    rl.rlim_max = GUARD_CPU_S + 5;
    (void)setrlimit(RLIMIT_CPU, &rl);
    if (vm_limit > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)vm_limit;
        (void)setrlimit(RLIMIT_AS, &rl);
    }
    st = reader(path, name, &m);
    msg = st != FCFIT_OK ? fcfit_error_message() : "";
    memset(&rep, 0, sizeof rep);
    rep.magic = GUARD_MAGIC;
    rep.status = (int32_t)st;
    rep.msg_len = strlen(msg);
    rep.rows = st == FCFIT_OK ? m.rows : 0;
    rep.cols = st == FCFIT_OK ? m.cols : 0;
    ok = guard_write_all(fd, &rep, sizeof rep) && guard_write_all(fd, msg, rep.msg_len);
    if (ok && st == FCFIT_OK) {
        ok = guard_write_all(fd, m.data, m.rows * m.cols * sizeof(double));
    }
    _exit(ok ? 0 : 1);
}

static const char *guard_signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV, a segmentation fault";
    case SIGBUS:
        return "SIGBUS, a bus error";
    case SIGABRT:
        return "SIGABRT, an internal assertion";
    case SIGFPE:
        return "SIGFPE, an arithmetic fault";
    case SIGILL:
        return "SIGILL";
    case SIGKILL:
        return "SIGKILL; out of memory?";
    case SIGXCPU:
        return "SIGXCPU, more CPU time than any valid file needs";
    default:
        return "a signal";
    }
}

fcfit_status fcfit_io_guarded_read(fcfit_matrix_reader_fn reader, const char *path,
                                   const char *name, const char *library, size_t file_size,
                                   fcfit_matrix *out)
{
    fcfit_status st = FCFIT_OK;
    const char *env = getenv("FCFIT_LOADER_FORK");
    int fds[2] = {-1, -1};
    size_t vm_limit = 0;
    pid_t pid;
    int ws = 0;
    guard_reply rep;
    size_t got;
    char *msg = NULL;
    int complete = 0;
    /* The largest matrix the child may send: what the file's bytes can decode to, in doubles. */
    size_t max_values = fcfit_io_max_inflate(file_size);

    if (env != NULL && strcmp(env, "0") == 0) {
        return reader(path, name, out);
    }
#ifndef GUARD_ASAN
    {
        size_t vm = guard_vm_size();
        size_t extra = file_size > (SIZE_MAX - ((size_t)4 << 30)) / 32 ? SIZE_MAX / 2
                                                                       : ((size_t)4 << 30) +
                                                                             16 * file_size;
        if (vm > 0 && vm < SIZE_MAX / 2) {
            vm_limit = vm + extra;
        }
    }
#endif
    FCFIT_REQUIRE(pipe2(fds, O_CLOEXEC) == 0, FCFIT_ERR_IO,
                  "%s: cannot create a pipe for the reader process: %s", path, strerror(errno));
    /* A larger pipe buffer moves a big matrix in fewer round trips (best effort). */
    (void)fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
    pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        FCFIT_FAIL(FCFIT_ERR_IO, "%s: cannot start the reader process: %s", path, strerror(err));
    }
    if (pid == 0) {
        close(fds[0]);
        guard_child(fds[1], reader, path, name, vm_limit);
    }
    close(fds[1]);
    fds[1] = -1;

    got = guard_read_all(fds[0], &rep, sizeof rep);
    if (got == sizeof rep && rep.magic == GUARD_MAGIC && rep.status >= 0 &&
        rep.status < (int32_t)FCFIT_STATUS_COUNT && rep.msg_len < 65536) {
        msg = calloc(rep.msg_len + 1, 1);
        FCFIT_REQUIRE_GOTO(msg != NULL, FCFIT_ERR_NOMEM, "out of memory");
        if (guard_read_all(fds[0], msg, rep.msg_len) == rep.msg_len) {
            if (rep.status != FCFIT_OK) {
                complete = 1;
            } else if (rep.rows > 0 && rep.cols > 0 && rep.rows <= max_values / rep.cols) {
                FCFIT_TRY(fcfit_matrix_alloc(out, (size_t)rep.rows, (size_t)rep.cols));
                complete = guard_read_all(fds[0], out->data, out->rows * out->cols *
                                                                 sizeof(double)) ==
                           out->rows * out->cols * sizeof(double);
            }
        }
    }

cleanup:
    if (fds[0] >= 0) {
        close(fds[0]); /* a child still writing gets EPIPE and ends */
    }
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (st != FCFIT_OK) {
        free(msg);
        fcfit_matrix_free(out);
        return st;
    }
    if (WIFSIGNALED(ws)) {
        free(msg);
        fcfit_matrix_free(out);
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: %s crashed while reading the file (%s); the file is damaged or crafted, "
                   "and fcfit did not use it",
                   path, library, guard_signal_name(WTERMSIG(ws)));
    }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == GUARD_EXIT_LIBRARY_FAULT) {
        free(msg);
        fcfit_matrix_free(out);
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: %s made an invalid memory access while reading the file (found by "
                   "AddressSanitizer); the file is damaged or crafted, and fcfit did not use it",
                   path, library);
    }
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !complete) {
        free(msg);
        fcfit_matrix_free(out);
#ifdef GUARD_ASAN
        /* A sanitizer report that blames fcfit's own reader code: make the fuzzer or the test,
         * which only watch this process, see the bug as the crash it is. */
        if (WIFEXITED(ws) && WEXITSTATUS(ws) == GUARD_EXIT_FCFIT_FAULT) {
            __builtin_trap();
        }
#endif
        FCFIT_FAIL(FCFIT_ERR_INPUT,
                   "%s: the process reading the file with %s ended unexpectedly (exit status %d); "
                   "the file is damaged or crafted, and fcfit did not use it",
                   path, library, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
    }
    if (rep.status != FCFIT_OK) {
        st = fcfit_error_set((fcfit_status)rep.status, __FILE__, __LINE__, __func__, "%s", msg);
        fcfit_matrix_free(out);
    }
    free(msg);
    return st;
}

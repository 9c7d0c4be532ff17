/*
 * outlock.c: the lock file of a results file (see fcfit_outlock.h).
 *
 * The lock file is "key=value" lines:
 *
 *   fcfit-lock 1
 *   host=node17
 *   pid=12345
 *   start=987654          process start time, clock ticks since boot (/proc/PID/stat)
 *   boot=3f1c...          /proc/sys/kernel/random/boot_id
 *   slurm_job=4711        empty outside SLURM
 *   slurm_restart=2       SLURM_RESTART_COUNT (0 when unset)
 *   since=2026-01-02T03:04:05Z
 *   command=mpirun ... fcfit run job.yaml -o results.h5
 *
 * Taking over a stale lock: the stale file is renamed to a private name
 * (atomic; only one of several contenders gets it) and checked to be the
 * stale one; a contender that moved a fresh lock instead puts it back and
 * gives up. Then the link is tried again.
 */
#define _GNU_SOURCE /* O_CLOEXEC in older headers */
#include "fcfit/fcfit_outlock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcfit/fcfit_log.h"
#include "fcfit/fcfit_util.h"

#define LOCK_ID_CAP 256

typedef struct lock_id {
    char host[LOCK_ID_CAP];
    long long pid;
    unsigned long long start;
    char boot[64];
    char slurm_job[64];
    long long slurm_restart;
    char since[32];
    char command[LOCK_ID_CAP];
} lock_id;

struct fcfit_outlock {
    char *lock_path;
    lock_id me;
};

/*
 * Start time of process pid in clock ticks since boot; 0 when it cannot be read or the process
 * has ended (a zombie: killed, not yet reaped by its parent, which can take long when the parent
 * was killed too and init does the reaping).
 */
static unsigned long long proc_start(long long pid)
{
    char p[64], buf[1024];
    FILE *f;
    size_t n;
    const char *rp;
    unsigned long long v = 0;
    snprintf(p, sizeof p, "/proc/%lld/stat", pid);
    f = fopen(p, "r");
    if (f == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    rp = strrchr(buf, ')');
    if (rp == NULL) {
        return 0;
    }
    /* Fields after the command: state(3) ppid(4) ... starttime(22). */
    rp += 2;
    if (*rp == 'Z' || *rp == 'X') {
        return 0;
    }
    for (int field = 3; field < 22 && rp != NULL; field++) {
        rp = strchr(rp, ' ');
        rp = rp != NULL ? rp + 1 : NULL;
    }
    if (rp != NULL) {
        v = strtoull(rp, NULL, 10);
    }
    return v;
}

static void read_boot_id(char *buf, size_t cap)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    buf[0] = '\0';
    if (f != NULL) {
        if (fgets(buf, (int)cap, f) == NULL) {
            buf[0] = '\0';
        }
        fclose(f);
    }
    buf[strcspn(buf, "\r\n")] = '\0';
}

static void copy_line(char *dst, size_t cap, const char *src)
{
    size_t k = 0;
    for (; src != NULL && src[k] != '\0' && k + 1 < cap; k++) {
        /* One line per key: control characters would break the format. */
        dst[k] = (unsigned char)src[k] < 32 ? ' ' : src[k];
    }
    dst[k] = '\0';
}

static void my_identity(lock_id *id, const char *command)
{
    const char *job = getenv("SLURM_JOB_ID"), *rc = getenv("SLURM_RESTART_COUNT");
    memset(id, 0, sizeof *id);
    if (gethostname(id->host, sizeof id->host - 1) != 0) {
        snprintf(id->host, sizeof id->host, "unknown");
    }
    id->pid = (long long)getpid();
    id->start = proc_start(id->pid);
    read_boot_id(id->boot, sizeof id->boot);
    copy_line(id->slurm_job, sizeof id->slurm_job, job != NULL ? job : "");
    id->slurm_restart = rc != NULL ? atoll(rc) : 0;
    fcfit_utc_now(id->since, sizeof id->since);
    copy_line(id->command, sizeof id->command, command != NULL ? command : "");
}

static int format_id(const lock_id *id, char *buf, size_t cap)
{
    return snprintf(buf, cap,
                    "fcfit-lock 1\nhost=%s\npid=%lld\nstart=%llu\nboot=%s\nslurm_job=%s\n"
                    "slurm_restart=%lld\nsince=%s\ncommand=%s\n",
                    id->host, id->pid, id->start, id->boot, id->slurm_job, id->slurm_restart,
                    id->since, id->command);
}

/* Parse a lock file; returns 0 when it is not one (empty, partial or foreign). */
static int read_id(const char *path, lock_id *id)
{
    char line[LOCK_ID_CAP + 32];
    int magic = 0, have_pid = 0, have_host = 0;
    FILE *f = fopen(path, "r");
    memset(id, 0, sizeof *id);
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        char *eq;
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "fcfit-lock 1") == 0) {
            magic = 1;
            continue;
        }
        eq = strchr(line, '=');
        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        if (strcmp(line, "host") == 0) {
            copy_line(id->host, sizeof id->host, eq + 1);
            have_host = id->host[0] != '\0';
        } else if (strcmp(line, "pid") == 0) {
            id->pid = atoll(eq + 1);
            have_pid = id->pid > 0;
        } else if (strcmp(line, "start") == 0) {
            id->start = strtoull(eq + 1, NULL, 10);
        } else if (strcmp(line, "boot") == 0) {
            copy_line(id->boot, sizeof id->boot, eq + 1);
        } else if (strcmp(line, "slurm_job") == 0) {
            copy_line(id->slurm_job, sizeof id->slurm_job, eq + 1);
        } else if (strcmp(line, "slurm_restart") == 0) {
            id->slurm_restart = atoll(eq + 1);
        } else if (strcmp(line, "since") == 0) {
            copy_line(id->since, sizeof id->since, eq + 1);
        } else if (strcmp(line, "command") == 0) {
            copy_line(id->command, sizeof id->command, eq + 1);
        }
    }
    fclose(f);
    return magic && have_pid && have_host;
}

static int same_id(const lock_id *a, const lock_id *b)
{
    return strcmp(a->host, b->host) == 0 && a->pid == b->pid && a->start == b->start &&
           strcmp(a->boot, b->boot) == 0;
}

/* Why a lock is stale ("" when it is live or cannot be checked). */
static const char *stale_reason(const lock_id *held, const lock_id *me)
{
    if (strcmp(held->host, me->host) == 0) {
        if (held->boot[0] != '\0' && me->boot[0] != '\0' && strcmp(held->boot, me->boot) != 0) {
            return "the host has rebooted since";
        }
        if (kill((pid_t)held->pid, 0) != 0 && errno == ESRCH) {
            return "its process is gone";
        }
        if (held->start != 0 && proc_start(held->pid) != held->start) {
            return "its process is gone";
        }
        return "";
    }
    if (held->slurm_job[0] != '\0' && strcmp(held->slurm_job, me->slurm_job) == 0 &&
        held->slurm_restart != me->slurm_restart) {
        return "it was written by an earlier run of this SLURM job, which SLURM has ended";
    }
    return "";
}

static void describe(const lock_id *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "pid %lld on host %s since %s%s%s%s", id->pid, id->host,
             id->since[0] ? id->since : "(unknown)", id->slurm_job[0] ? " (SLURM job " : "",
             id->slurm_job, id->slurm_job[0] ? ")" : "");
}

/* An OS error while creating the lock: a full disk is a runtime failure, the rest bad usage. */
static fcfit_status lock_os_error(const char *path, const char *what, int err)
{
    char *dir = fcfit_path_dirname(path);
    fcfit_status st;
    if (err == ENOSPC || err == EDQUOT) {
        st = fcfit_error_set(FCFIT_ERR_IO, __FILE__, __LINE__, __func__,
                             "no space left on %s (%s): cannot create %s",
                             dir != NULL ? dir : ".", strerror(err), what);
    } else {
        st = fcfit_error_set(FCFIT_ERR_USAGE, __FILE__, __LINE__, __func__,
                             "cannot write %s: directory %s: %s", path, dir != NULL ? dir : ".",
                             strerror(err));
    }
    free(dir);
    return st;
}

static fcfit_status held_error(const char *path, const char *lock_path, const lock_id *held)
{
    char who[600];
    describe(held, who, sizeof who);
    FCFIT_FAIL(FCFIT_ERR_USAGE,
               "%s is in use by another fcfit run: %s%s%s; wait for it to end, or, if that run "
               "is gone, delete %s",
               path, who, held->command[0] ? ", command: " : "", held->command, lock_path);
}

/* Write our identity to a private file next to the lock. */
static fcfit_status write_private(const char *path, const char *tmp, const lock_id *me)
{
    char text[2 * LOCK_ID_CAP + 512];
    int len = format_id(me, text, sizeof text);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    ssize_t w;
    if (fd < 0 && errno == EEXIST) {
        /* Left over by a killed process with our pid: it is ours to replace. */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        return lock_os_error(path, tmp, errno);
    }
    w = write(fd, text, (size_t)len);
    if (w != (ssize_t)len || fsync(fd) != 0) {
        int err = w < 0 || w != (ssize_t)len ? (w < 0 ? errno : ENOSPC) : errno;
        close(fd);
        unlink(tmp);
        return lock_os_error(path, tmp, err);
    }
    if (close(fd) != 0) {
        int err = errno;
        unlink(tmp);
        return lock_os_error(path, tmp, err);
    }
    return FCFIT_OK;
}

/*
 * Create the lock from the private file: 0 on success, else an errno (EEXIST: a lock exists).
 * Without hard links (some network and FAT-like file systems) an exclusive create of the lock
 * followed by writing it is the fallback; its only weakness is a reader that sees it half
 * written, which then refuses to run.
 */
static int try_link(const char *tmp, const char *lock_path, const lock_id *me)
{
    char text[2 * LOCK_ID_CAP + 512];
    int len, fd, err;
    if (link(tmp, lock_path) == 0) {
        return 0;
    }
    err = errno;
    if (err != EPERM && err != EOPNOTSUPP && err != EXDEV && err != ENOSYS) {
        return err;
    }
    fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return errno;
    }
    len = format_id(me, text, sizeof text);
    if (write(fd, text, (size_t)len) != (ssize_t)len) {
        err = errno != 0 ? errno : ENOSPC;
        close(fd);
        unlink(lock_path);
        return err;
    }
    close(fd);
    return 0;
}

fcfit_status fcfit_outlock_acquire(const char *path, const char *command, fcfit_outlock **out)
{
    fcfit_outlock *lk;
    char *tmp = NULL, *aside = NULL;
    size_t n;
    fcfit_status st = FCFIT_OK;
    int attempts = 0;

    *out = NULL;
    lk = calloc(1, sizeof *lk);
    FCFIT_REQUIRE(lk != NULL, FCFIT_ERR_NOMEM, "out of memory");
    my_identity(&lk->me, command);
    n = strlen(path) + LOCK_ID_CAP + 64;
    lk->lock_path = malloc(n);
    tmp = malloc(n);
    aside = malloc(n);
    FCFIT_REQUIRE_GOTO(lk->lock_path != NULL && tmp != NULL && aside != NULL, FCFIT_ERR_NOMEM,
                       "out of memory");
    snprintf(lk->lock_path, n, "%s.lock", path);
    snprintf(tmp, n, "%s.lock.%s.%lld", path, lk->me.host, lk->me.pid);
    snprintf(aside, n, "%s.lock.stale.%s.%lld", path, lk->me.host, lk->me.pid);
    FCFIT_TRY(write_private(path, tmp, &lk->me));
    for (;;) {
        lock_id held, moved;
        const char *why;
        int err = try_link(tmp, lk->lock_path, &lk->me);
        if (err == 0) {
            break;
        }
        if (err != EEXIST) {
            st = lock_os_error(path, lk->lock_path, err);
            goto cleanup;
        }
        if (!read_id(lk->lock_path, &held)) {
            FCFIT_FAIL_GOTO(FCFIT_ERR_USAGE,
                            "%s is locked by %s, which is not an fcfit lock file (or is being "
                            "written); if no run is using %s, delete it",
                            path, lk->lock_path, path);
        }
        why = stale_reason(&held, &lk->me);
        if (why[0] == '\0' || ++attempts > 3) {
            st = held_error(path, lk->lock_path, &held);
            goto cleanup;
        }
        if (rename(lk->lock_path, aside) != 0) {
            continue; /* someone else moved it first: look again */
        }
        if (!read_id(aside, &moved) || !same_id(&moved, &held)) {
            /* A fresh lock was moved aside: put it back (unless yet another one appeared). */
            if (link(aside, lk->lock_path) != 0 && errno != EEXIST) {
                rename(aside, lk->lock_path);
            }
            unlink(aside);
            st = held_error(path, lk->lock_path, &moved);
            goto cleanup;
        }
        unlink(aside);
        {
            char who[600];
            describe(&held, who, sizeof who);
            fcfit_log(FCFIT_LOG_WARN, "taking over the stale lock %s of %s: %s", lk->lock_path,
                      who, why);
        }
    }
    unlink(tmp);
    free(tmp);
    free(aside);
    *out = lk;
    return FCFIT_OK;

cleanup:
    if (tmp != NULL) {
        unlink(tmp);
    }
    free(tmp);
    free(aside);
    free(lk->lock_path);
    free(lk);
    return st;
}

void fcfit_outlock_release(fcfit_outlock **plk)
{
    fcfit_outlock *lk;
    lock_id held;
    if (plk == NULL || *plk == NULL) {
        return;
    }
    lk = *plk;
    if (read_id(lk->lock_path, &held) && same_id(&held, &lk->me)) {
        unlink(lk->lock_path);
    }
    free(lk->lock_path);
    free(lk);
    *plk = NULL;
}

int fcfit_outlock_query(const char *path, char *holder, size_t cap)
{
    char lock_path[4200];
    lock_id held, me;
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    if (access(lock_path, F_OK) != 0) {
        return 0;
    }
    my_identity(&me, NULL);
    if (!read_id(lock_path, &held)) {
        if (holder != NULL) {
            snprintf(holder, cap, "%s exists but is not an fcfit lock file", lock_path);
        }
        return 1;
    }
    if (stale_reason(&held, &me)[0] != '\0') {
        return 0;
    }
    if (holder != NULL) {
        describe(&held, holder, cap);
    }
    return 1;
}

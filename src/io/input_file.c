/*
 * input_file.c: opening input files safely.
 *
 * Every input fcfit reads is a regular file. Opening a FIFO for reading
 * blocks until a writer appears, and /dev/zero or /dev/urandom never end, so
 * a check after open() comes too late: the file is opened with O_NONBLOCK
 * (which makes open() return at once for a FIFO), its type is checked with
 * fstat() on the open descriptor (no race with a rename in between), and
 * only then is O_NONBLOCK cleared and the file read. The size fstat()
 * reports bounds what the readers allocate, so a file cannot make fcfit
 * allocate more than its own size (plus the decoding factor of its format).
 */
#include "matrix_io_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *fcfit_io_file_kind(unsigned mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO (named pipe)";
    }
    if (S_ISCHR(mode)) {
        return "a character device (such as /dev/zero or /dev/urandom)";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a regular file";
}

fcfit_status fcfit_io_open_regular(const char *path, int *fd_out, size_t *size_out)
{
    struct stat sb;
    int fd;
    int flags;

    *fd_out = -1;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        FCFIT_REQUIRE(err != ENOENT, FCFIT_ERR_INPUT, "%s: file not found", path);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: cannot open the file for reading: %s", path,
                   strerror(err));
    }
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: cannot read the file's status: %s", path, strerror(err));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: is %s; expected a regular file", path,
                   fcfit_io_file_kind((unsigned)sb.st_mode));
    }
    if ((uint64_t)sb.st_size > (uint64_t)(SIZE_MAX / 2)) {
        close(fd);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: the file is too large for this machine (%lld bytes)",
                   path, (long long)sb.st_size);
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        FCFIT_FAIL(FCFIT_ERR_INPUT, "%s: cannot prepare the file for reading: %s", path,
                   strerror(err));
    }
    *fd_out = fd;
    *size_out = (size_t)sb.st_size;
    return FCFIT_OK;
}

fcfit_status fcfit_io_check_regular(const char *path, size_t *size_out)
{
    int fd = -1;
    size_t size = 0;
    FCFIT_CHECK(fcfit_io_open_regular(path, &fd, &size));
    close(fd);
    if (size_out != NULL) {
        *size_out = size;
    }
    return FCFIT_OK;
}

fcfit_status fcfit_io_read_regular(const char *path, char **buf_out, size_t *len_out)
{
    fcfit_status st = FCFIT_OK;
    int fd = -1;
    size_t size = 0;
    size_t got = 0;
    char *buf = NULL;
    char probe;

    *buf_out = NULL;
    *len_out = 0;
    FCFIT_CHECK(fcfit_io_open_regular(path, &fd, &size));
    buf = malloc(size + 1);
    FCFIT_REQUIRE_GOTO(buf != NULL, FCFIT_ERR_NOMEM,
                       "%s: cannot allocate %zu bytes to read the file", path, size + 1);
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        FCFIT_REQUIRE_GOTO(r >= 0, FCFIT_ERR_INPUT, "%s: read error after %zu bytes: %s", path, got,
                           strerror(errno));
        FCFIT_REQUIRE_GOTO(r > 0, FCFIT_ERR_INPUT,
                           "%s: the file shrank while it was read (%zu of %zu bytes)", path, got,
                           size);
        got += (size_t)r;
    }
    /* A file that grows while it is read is being written by someone: refuse it too. */
    FCFIT_REQUIRE_GOTO(read(fd, &probe, 1) == 0, FCFIT_ERR_INPUT,
                       "%s: the file grew while it was read (beyond %zu bytes); is another program "
                       "writing it?",
                       path, size);
    buf[size] = '\0';
    *buf_out = buf;
    *len_out = size;
    buf = NULL;

cleanup:
    close(fd);
    free(buf);
    return st;
}

/*
 * replay_main.c: run a fuzz target once on each file named on the command
 * line, or on each file of each directory named there (not recursively).
 *
 * This is how the seed corpus and the regression inputs (inputs that once
 * crashed or misbehaved) run in the ordinary test build, with any compiler
 * and without libFuzzer. Exit code 0 when every input ran; a crash or an
 * invariant violation aborts the process as it would under the fuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long len;
    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        if (fp != NULL) {
            fclose(fp);
        }
        return 1;
    }
    buf = malloc((size_t)len > 0 ? (size_t)len : 1);
    if (buf == NULL || fread(buf, 1, (size_t)len, fp) != (size_t)len) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        free(buf);
        fclose(fp);
        return 1;
    }
    fclose(fp);
    printf("replay: %s (%ld bytes)\n", path, len);
    fflush(stdout);
    (void)LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = 0;
    int bad = 0;
    for (int k = 1; k < argc; k++) {
        struct stat sb;
        if (stat(argv[k], &sb) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[k]);
            return 1;
        }
        if (S_ISDIR(sb.st_mode)) {
            struct dirent **list = NULL;
            int m = scandir(argv[k], &list, NULL, alphasort);
            for (int e = 0; e < m; e++) {
                char p[4096];
                struct stat fb;
                snprintf(p, sizeof p, "%s/%s", argv[k], list[e]->d_name);
                if (list[e]->d_name[0] != '.' && stat(p, &fb) == 0 && S_ISREG(fb.st_mode)) {
                    bad |= run_file(p);
                    n++;
                }
                free(list[e]);
            }
            free(list);
        } else {
            bad |= run_file(argv[k]);
            n++;
        }
    }
    printf("replay: %zu input(s) ran without a crash\n", n);
    return bad;
}

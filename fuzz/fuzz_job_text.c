/*
 * fuzz_job_text.c: job text through the YAML parser and the key registry.
 *
 * The input is written as a job file and read with fcfit_config_load_file
 * (every job key registered, as `fcfit run` does). Lines of the input that
 * start with "#set " (YAML comments, so the parser ignores them) are then
 * applied as --set overrides. When the configuration is valid, its canonical
 * text (what results files store and what workers rebuild the job from) must
 * load into a fresh registry and give back the identical canonical text; a
 * difference aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "fcfit/fcfit_config.h"
#include "fcfit/fcfit_job.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Apply the "#set key=value" lines of text (NUL-terminated copy of the input). */
static fcfit_status apply_sets(fcfit_config *cfg, char *text, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        char *line = text + pos;
        char *nl = memchr(line, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - line) : size - pos;
        pos += len + 1;
        if (len > 5 && strncmp(line, "#set ", 5) == 0 && memchr(line, '\0', len) == NULL) {
            fcfit_status st;
            line[len] = '\0';
            st = fcfit_config_set(cfg, line + 5);
            if (st != FCFIT_OK) {
                return st;
            }
        }
    }
    return FCFIT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fcfit_config *cfg = NULL, *again = NULL;
    char *text = NULL, *canon = NULL, *canon2 = NULL;
    const char *p = fuzz_write("job.yaml", data, size);
    fcfit_status st;

    if (p == NULL || fcfit_config_create(&cfg) != FCFIT_OK ||
        fcfit_job_register_options(cfg) != FCFIT_OK) {
        abort();
    }
    st = fcfit_config_load_file(cfg, p);
    if (st == FCFIT_OK) {
        text = malloc(size + 1);
        fuzz_require(text != NULL, "allocation");
        memcpy(text, data, size);
        text[size] = '\0';
        st = apply_sets(cfg, text, size);
    }
    if (st == FCFIT_OK) {
        canon = fcfit_config_canonical(cfg, 0, NULL);
        fuzz_require(canon != NULL, "canonical text");
        fuzz_require(fcfit_config_create(&again) == FCFIT_OK &&
                         fcfit_job_register_options(again) == FCFIT_OK,
                     "registry");
        st = fcfit_config_load_string(again, canon, "canonical", NULL);
        fuzz_require(st == FCFIT_OK, "the canonical text of a valid job loads again");
        canon2 = fcfit_config_canonical(again, 0, NULL);
        fuzz_require(canon2 != NULL && strcmp(canon, canon2) == 0,
                     "the canonical text round-trips unchanged");
    } else {
        fuzz_require(fcfit_status_exit_code(st) == 2 || st == FCFIT_ERR_NOMEM,
                     "a bad job is reported as bad input (exit code 2)");
        fuzz_require(fcfit_error_message()[0] != '\0', "a refused job has a message");
    }
    fcfit_error_clear();
    free(text);
    free(canon);
    free(canon2);
    fcfit_config_destroy(&again);
    fcfit_config_destroy(&cfg);
    return 0;
}

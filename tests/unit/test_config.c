/*
 * test_config.c: the option registry and YAML parsing: types, bounds,
 * defaults, nested and dotted keys, precedence of --set, error messages with
 * place and key, suggestions, regional values, canonical text round trip;
 * and hostile job text: a second YAML document, a NUL byte (whose refusal
 * once leaked the file's text: the ASan build's leak check covers it),
 * invalid UTF-8 (on which libfyaml once looped forever), a
 * FIFO or a device as the job file, -0 against 0, control characters and
 * empty paths in values.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcfit/fcfit_config.h"
#include "fcfit/fcfit_job.h"
#include "fcfit_test.h"

static const char *const colours[] = {"red", "green", "blue", NULL};

static fcfit_config *make(void)
{
    fcfit_config *c = NULL;
    const fcfit_opt_desc opts[] = {
        {"sim.dt_ms", FCFIT_OPT_REAL, "0.1", 1e-6, 10, NULL, "ms", 0, "step"},
        {"sim.steps", FCFIT_OPT_INT, "10", 1, 1000, NULL, "", 0, "count"},
        {"sim.noise", FCFIT_OPT_BOOL, "true", 0, 0, NULL, "", 0, "noise"},
        {"sim.name", FCFIT_OPT_STRING, "\"x y\"", 0, 0, NULL, "", 0, "name"},
        {"out.path", FCFIT_OPT_PATH, "out.h5", 0, 0, NULL, "", FCFIT_OPT_NOHASH, "output"},
        {"paint.colour", FCFIT_OPT_ENUM, "green", 0, 0, colours, "", 0, "colour"},
        {"model.w", FCFIT_OPT_REGIONAL, "0.9", 0, 2, NULL, "", 0, "regional"},
        {"target.fc", FCFIT_OPT_PATHS, NULL, 0, 0, NULL, "", FCFIT_OPT_OPTIONAL, "files"},
        {"grid.values", FCFIT_OPT_REALS, "[1, 2]", -5, 5, NULL, "", 0, "values"},
        {"sweep.params", FCFIT_OPT_TREE, NULL, 0, 0, NULL, "", FCFIT_OPT_OPTIONAL, "tree"},
        {"opt.thing", FCFIT_OPT_REAL, NULL, 0, 1, NULL, "", FCFIT_OPT_OPTIONAL, "optional"},
    };
    fcfit_config_create(&c);
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        fcfit_status s = fcfit_config_register(c, &opts[k]);
        if (s != FCFIT_OK) {
            printf("register %s: %s\n", opts[k].key, fcfit_error_message());
        }
    }
    return c;
}

static void test_defaults_and_types(void)
{
    fcfit_config *c = make();
    fcfit_opt_desc dup = {"sim.dt_ms", FCFIT_OPT_REAL, "1", 0, 2, NULL, "", 0, "again"};
    fcfit_opt_desc bad = {"x.y", FCFIT_OPT_REAL, "5", 0, 2, NULL, "", 0, "bad default"};
    CHECK_REL(fcfit_config_real(c, "sim.dt_ms"), 0.1, 0);
    CHECK_INT(fcfit_config_int(c, "sim.steps"), 10);
    CHECK_INT(fcfit_config_bool(c, "sim.noise"), 1);
    CHECK_TRUE(strcmp(fcfit_config_string(c, "sim.name"), "x y") == 0);
    CHECK_TRUE(strcmp(fcfit_config_string(c, "paint.colour"), "green") == 0);
    CHECK_INT(fcfit_config_enum(c, "paint.colour"), 1);
    CHECK_INT(fcfit_config_regional(c, "model.w")->kind, FCFIT_REGIONAL_SCALAR);
    CHECK_INT(fcfit_config_list_len(c, "grid.values"), 2);
    CHECK_INT(fcfit_config_has_value(c, "target.fc"), 0);
    CHECK_INT(fcfit_config_has_value(c, "opt.thing"), 0);
    CHECK_INT(fcfit_config_is_set(c, "sim.dt_ms"), 0);
    CHECK_TRUE(strcmp(fcfit_config_where(c, "sim.dt_ms"), "default") == 0);
    CHECK_FAILS(fcfit_config_register(c, &dup), FCFIT_ERR_INTERNAL, "registered twice");
    CHECK_FAILS(fcfit_config_register(c, &bad), FCFIT_ERR_INTERNAL, "default of x.y is invalid");
    fcfit_config_destroy(&c);
    CHECK_TRUE(c == NULL);
}

static void test_load(void)
{
    fcfit_config *c = make();
    const char *text = "# a job\n"
                       "sim:\n"
                       "  dt_ms: 0.05\n"
                       "  noise: no\n"
                       "sim.steps: 20\n"
                       "out: {path: results/r.h5}\n"
                       "paint.colour: blue\n"
                       "model:\n"
                       "  w: [0.5, 1.5, 1]\n"
                       "target.fc: [a.csv, /abs/b.csv]\n"
                       "sweep:\n"
                       "  params:\n"
                       "    model.G: {linspace: [0, 1, 5]}\n";
    CHECK_OK(fcfit_config_load_string(c, text, "job.yaml", "/data/jobs"));
    CHECK_REL(fcfit_config_real(c, "sim.dt_ms"), 0.05, 0);
    CHECK_INT(fcfit_config_bool(c, "sim.noise"), 0);
    CHECK_INT(fcfit_config_int(c, "sim.steps"), 20);
    CHECK_TRUE(strcmp(fcfit_config_string(c, "out.path"), "/data/jobs/results/r.h5") == 0);
    CHECK_TRUE(strcmp(fcfit_config_list_path(c, "target.fc", 0), "/data/jobs/a.csv") == 0);
    CHECK_TRUE(strcmp(fcfit_config_list_path(c, "target.fc", 1), "/abs/b.csv") == 0);
    CHECK_TRUE(strcmp(fcfit_config_where(c, "sim.dt_ms"), "job.yaml:3") == 0);
    CHECK_TRUE(strcmp(fcfit_config_where(c, "sim.steps"), "job.yaml:5") == 0);
    {
        const fcfit_regional *r = fcfit_config_regional(c, "model.w");
        CHECK_INT(r->kind, FCFIT_REGIONAL_LIST);
        CHECK_INT(r->n, 3);
        CHECK_REL(r->values[1], 1.5, 0);
    }
    {
        const fcfit_ynode *t = fcfit_config_tree(c, "sweep.params");
        CHECK_TRUE(t != NULL && t->kind == FCFIT_Y_MAP && t->n == 1);
        CHECK_TRUE(strcmp(t->keys[0], "model.G") == 0);
        CHECK_TRUE(strcmp(t->items[0]->where, "job.yaml:13") == 0);
    }
    /* --set wins over the file; lists work there too; relative paths resolve against the CWD */
    CHECK_OK(fcfit_config_set(c, "sim.dt_ms=0.2"));
    CHECK_OK(fcfit_config_set(c, "model.w=[1, 1]"));
    CHECK_OK(fcfit_config_set(c, "out.path=x.h5"));
    CHECK_REL(fcfit_config_real(c, "sim.dt_ms"), 0.2, 0);
    CHECK_INT(fcfit_config_regional(c, "model.w")->n, 2);
    CHECK_TRUE(strcmp(fcfit_config_string(c, "out.path"), "x.h5") == 0);
    CHECK_TRUE(strcmp(fcfit_config_where(c, "sim.dt_ms"), "--set") == 0);
    CHECK_OK(fcfit_config_set(c, "model.w={file: w.csv}"));
    CHECK_INT(fcfit_config_regional(c, "model.w")->kind, FCFIT_REGIONAL_FILE);
    fcfit_config_destroy(&c);
}

static void test_errors(void)
{
    fcfit_config *c = make();
    CHECK_FAILS(fcfit_config_load_string(c, "sim:\n  dtms: 1\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "j.yaml:2: unknown key 'sim.dtms' (did you mean 'sim.dt_ms'?)");
    CHECK_FAILS(fcfit_config_load_string(c, "sim:\n  dtms: 1\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "valid keys under 'sim': sim.dt_ms");
    CHECK_FAILS(fcfit_config_load_string(c, "simulation: {a: 1}\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "valid sections: sim, out, paint, model, target");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms: fast\n", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "j.yaml:1: sim.dt_ms: expected a number in [1e-06, 10] ms; found 'fast'");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms: 11\n", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "(out of bounds); found '11'");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.steps: 2.5\n", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "expected an integer in [1, 1000]");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.noise: maybe\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "expected true or false");
    CHECK_FAILS(fcfit_config_load_string(c, "paint.colour: pink\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "expected one of: red, green, blue (unknown name); found 'pink'");
    CHECK_FAILS(fcfit_config_load_string(c, "model.w: [0.5, 3]\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "(out of bounds); found '3'");
    CHECK_FAILS(fcfit_config_load_string(c, "model.w: {path: x}\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "a mapping must be {file: path}");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms:\n", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "the value is empty");
    CHECK_FAILS(fcfit_config_load_string(c, "sim: {dt_ms: 1}\nsim.dt_ms: 2\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "given twice");
    CHECK_FAILS(fcfit_config_load_string(c, "sim: [1, 2\n", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "j.yaml:");
    CHECK_FAILS(fcfit_config_load_string(c, "- 1\n- 2\n", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "must be a mapping");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms: 1\nsim.dt_ms: 2\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "j.yaml");
    CHECK_FAILS(fcfit_config_set(c, "sim.dt_ms"), FCFIT_ERR_USAGE, "expected key.path=value");
    CHECK_FAILS(fcfit_config_set(c, "sim.dtms=1"), FCFIT_ERR_CONFIG,
                "--set: unknown key 'sim.dtms' (did you mean 'sim.dt_ms'?)");
    CHECK_OK(fcfit_config_set(c, "sim.dt_ms=0.5"));
    CHECK_FAILS(fcfit_config_set(c, "sim.dt_ms=-1"), FCFIT_ERR_CONFIG, "--set: sim.dt_ms");
    /* A failed assignment leaves the previous value in place. */
    CHECK_REL(fcfit_config_real(c, "sim.dt_ms"), 0.5, 0);
    fcfit_config_destroy(&c);
}

static void test_canonical(void)
{
    fcfit_config *c = make(), *d = make();
    char *t1, *t2, *h;
    CHECK_OK(fcfit_config_load_string(c,
                                      "sim.dt_ms: 0.3\nmodel.w: [0.1, 0.2]\ntarget.fc: a.csv\n"
                                      "sweep.params: {model.G: {values: [0.5, 1.25e-3]}, 'a b': "
                                      "\"q: x\"}\nsim.name: 'he said \"hi\"'\n",
                                      "job.yaml", "/d"));
    t1 = fcfit_config_canonical(c, 0, NULL);
    CHECK_TRUE(t1 != NULL && strstr(t1, "sim.dt_ms: 0.3\n") != NULL);
    CHECK_TRUE(strstr(t1, "model.w: [0.1, 0.2]") != NULL);
    CHECK_TRUE(strstr(t1, "out.path: \"out.h5\"") != NULL);
    /* the canonical text reads back to the same configuration */
    CHECK_OK(fcfit_config_load_string(d, t1, "canonical", NULL));
    t2 = fcfit_config_canonical(d, 0, NULL);
    CHECK_TRUE(t2 != NULL && strcmp(t1, t2) == 0);
    if (t2 != NULL && strcmp(t1, t2) != 0) {
        printf("---\n%s---\n%s---\n", t1, t2);
    }
    h = fcfit_config_canonical(c, 1, NULL);
    CHECK_TRUE(h != NULL && strstr(h, "out.path") == NULL && strstr(h, "sim.dt_ms") != NULL);
    free(h);
    {
        const char *skip[] = {"sim.", NULL};
        h = fcfit_config_canonical(c, 0, skip);
        CHECK_TRUE(h != NULL && strstr(h, "sim.dt_ms") == NULL && strstr(h, "model.w") != NULL);
        free(h);
    }
    free(t1);
    free(t2);
    fcfit_config_destroy(&c);
    fcfit_config_destroy(&d);
}

static void test_job_registry(void)
{
    fcfit_config *c = NULL;
    char buf[512];
    CHECK_OK(fcfit_config_create(&c));
    CHECK_OK(fcfit_job_register_options(c));
    CHECK_TRUE(fcfit_config_desc(c, "model.rww.G") != NULL);
    CHECK_TRUE(fcfit_config_desc(c, "model.mpr.eta") != NULL);
    CHECK_INT(fcfit_config_desc(c, "model.mpr.eta")->type, FCFIT_OPT_REGIONAL);
    CHECK_TRUE(fcfit_config_desc(c, "sim.dt_ms") != NULL);
    CHECK_TRUE(strcmp(fcfit_config_string(c, "model.name"), "rww") == 0);
    /* every key has help and a describable type */
    for (size_t k = 0; k < fcfit_config_count(c); k++) {
        const fcfit_opt_desc *d = fcfit_config_desc(c, fcfit_config_key_at(c, k));
        fcfit_config_describe_type(d, buf, sizeof buf);
        CHECK_TRUE(strlen(d->help) > 0 && strlen(buf) > 0);
    }
    CHECK_FAILS(fcfit_config_set(c, "model.name=rwww"), FCFIT_ERR_CONFIG, "rww, mpr");
    fcfit_config_destroy(&c);
}

/* Write text (len bytes, NULs allowed) to a new temporary file; returns its path in buf. */
static const char *temp_file(char *buf, size_t cap, const char *text, size_t len)
{
    int fd;
    snprintf(buf, cap, "/tmp/fcfit-test-config-XXXXXX");
    fd = mkstemp(buf);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        printf("cannot write a temporary file: %s\n", strerror(errno));
        exit(1);
    }
    close(fd);
    return buf;
}

static void test_hostile_text(void)
{
    fcfit_config *c = make();
    char path[64], big[600];
    static const char nul[] = "sim:\n  dt_ms: 0.5\n\0  steps: 3\n";
    const fcfit_regional *r;

    /* A second document would be ignored: refused, naming the line where it starts. */
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms: 0.5\n---\nsim.dt_ms: 5\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "j.yaml:2: a second YAML document starts here");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms: 0.5\n...\n---\nsim: {steps: 4}\n",
                                         "j.yaml", "."),
                FCFIT_ERR_CONFIG, "j.yaml:3: a second YAML document");
    CHECK_OK(fcfit_config_load_string(c, "---\nsim.dt_ms: 0.5\n...\n", "j.yaml", "."));
    /* Invalid UTF-8 is refused before the YAML parser sees it (libfyaml 0.7.12 loops forever
     * on a directive followed by the byte 0xec: this check would hang without the fix). */
    CHECK_FAILS(fcfit_config_load_string(c, "%0\xec", "j.yaml", "."), FCFIT_ERR_CONFIG,
                "j.yaml:1: invalid UTF-8 (byte 0xec)");
    CHECK_FAILS(fcfit_config_load_string(c, "sim.dt_ms: 0.5\n# caf\xc3\n", "j.yaml", "."),
                FCFIT_ERR_CONFIG, "j.yaml:2: invalid UTF-8 (byte 0xc3)");
    CHECK_FAILS(fcfit_config_set(c, "sim.name=%0\xec"), FCFIT_ERR_CONFIG,
                "--set: invalid UTF-8 (byte 0xec) in the value");
    CHECK_OK(fcfit_config_load_string(c, "sim.name: caf\xc3\xa9 \xe2\x82\xac\n", "j.yaml", "."));
    /* A NUL byte: refused with its line (and, under ASan, without leaking the text). */
    CHECK_FAILS(fcfit_config_load_file(c, temp_file(path, sizeof path, nul, sizeof nul - 1)),
                FCFIT_ERR_CONFIG, ":3: contains a NUL byte");
    unlink(path);
    /* Not a regular file: refused before any read (a FIFO would block, /dev/zero never ends). */
    CHECK_FAILS(fcfit_config_load_file(c, "/dev/zero"), FCFIT_ERR_INPUT,
                "/dev/zero: is a character device");
    snprintf(path, sizeof path, "/tmp/fcfit-test-config-fifo-%d", (int)getpid());
    if (mkfifo(path, 0600) == 0) {
        CHECK_FAILS(fcfit_config_load_file(c, path), FCFIT_ERR_INPUT, "is a FIFO (named pipe)");
        unlink(path);
    }
    CHECK_FAILS(fcfit_config_load_file(c, "/tmp"), FCFIT_ERR_INPUT, "/tmp: is a directory");

    /* -0 is stored as 0, so the canonical text and the job hash do not tell them apart. */
    CHECK_OK(fcfit_config_load_string(c, "model.w: -0\ngrid.values: [-0.0, 1]\n", "z.yaml", "."));
    r = fcfit_config_regional(c, "model.w");
    CHECK_TRUE(r != NULL && r->scalar == 0.0 && !signbit(r->scalar));
    CHECK_TRUE(!signbit(fcfit_config_list_real(c, "grid.values", 0)));
    {
        char *t = fcfit_config_canonical(c, 1, NULL);
        CHECK_TRUE(t != NULL && strstr(t, "model.w: 0\n") != NULL &&
                   strstr(t, "grid.values: [0, 1]\n") != NULL && strstr(t, "-0") == NULL);
        free(t);
    }

    /* Control characters in a value or key are shown as escapes, never raw. */
    CHECK_FAILS(fcfit_config_set(c, "paint.colour=red\x01"), FCFIT_ERR_CONFIG,
                "found 'red\\x01'");
    CHECK_TRUE(strchr(fcfit_error_message(), '\x01') == NULL);
    CHECK_FAILS(fcfit_config_set(c, "paint.colour=\x1b[31mred"), FCFIT_ERR_CONFIG,
                "found '\\e[31mred'");
    CHECK_FAILS(fcfit_config_set(c, "sim.dt\x7fms=1"), FCFIT_ERR_CONFIG,
                "unknown key 'sim.dt\\x7fms'");
    CHECK_FAILS(fcfit_config_set(c, "sim\tdt_ms"), FCFIT_ERR_USAGE, "--set sim\\tdt_ms:");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "paint.colour=", 13);
    CHECK_FAILS(fcfit_config_set(c, big), FCFIT_ERR_CONFIG, "xxx...'");

    /* An empty path names no file, quoted or not. */
    CHECK_FAILS(fcfit_config_load_string(c, "out.path: \"\"\n", "p.yaml", "."), FCFIT_ERR_CONFIG,
                "p.yaml:1: out.path: expected a file path (an empty path names no file)");
    fcfit_config_destroy(&c);
}

int main(void)
{
    test_defaults_and_types();
    test_load();
    test_errors();
    test_canonical();
    test_job_registry();
    test_hostile_text();
    return fcfit_test_finish();
}

/**
 * @file fcfit_config.h
 * The option registry and the parsed job configuration.
 *
 * Every key is registered once with its type, default, bounds, unit and help.
 * That registration drives parsing and validation (job file and --set
 * overrides share every check), the `fcfit keys` listing, the generated
 * docs/job-reference.md, the canonical effective job text written into
 * results, and the job hash.
 *
 * Job files are YAML. Keys may be nested mappings or dotted paths; both
 * spell the same key (`sim: {dt_ms: 0.1}` == `sim.dt_ms: 0.1`). Precedence:
 * default < job file < --set key.path=value (the value is read as YAML, so
 * lists and mappings work there too). Every value remembers where it came
 * from ("job.yaml:12", "--set"), and every message names that place, the
 * key, what was expected and what was found.
 *
 * The config module knows nothing about models or simulations: the job layer
 * registers the keys (src/job/job_options.c).
 */
#ifndef FCFIT_CONFIG_H
#define FCFIT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fcfit_opt_type {
    FCFIT_OPT_BOOL = 0, /**< true/false (also yes/no, on/off) */
    FCFIT_OPT_INT,      /**< integer within [lo, hi] */
    FCFIT_OPT_REAL,     /**< finite real within [lo, hi] */
    FCFIT_OPT_STRING,   /**< free text */
    FCFIT_OPT_PATH,     /**< file path; relative paths resolve against the job file's directory */
    FCFIT_OPT_ENUM,     /**< one of `choices` */
    FCFIT_OPT_REGIONAL, /**< a real, a list of reals (one per region), {file: path} or
                             {from_bold_peak: [lo_hz, hi_hz]} */
    FCFIT_OPT_PATHS,    /**< one path or a list of paths; a path with *, ? or [ is a glob
                             pattern, expanded to the matching files in byte order */
    FCFIT_OPT_REALS,    /**< one real or a list of reals within [lo, hi] */
    FCFIT_OPT_TREE      /**< a YAML mapping or list validated by the owning module */
} fcfit_opt_type;

/** The key does not change results (paths, output, logging, chunking): excluded from the hash. */
#define FCFIT_OPT_NOHASH 0x1u
/** The key has no default: it stays unset unless given. */
#define FCFIT_OPT_OPTIONAL 0x2u

/** Registration of one key. Strings are copied by fcfit_config_register. */
typedef struct fcfit_opt_desc {
    const char *key;
    fcfit_opt_type type;
    const char *def;             /**< default as YAML text (NULL when OPTIONAL) */
    double lo, hi;               /**< numeric bounds, inclusive */
    const char *const *choices;  /**< ENUM choices, NULL-terminated */
    const char *unit;            /**< "ms", "s", "1", "" */
    unsigned flags;              /**< FCFIT_OPT_* */
    const char *help;            /**< one line */
} fcfit_opt_desc;

/** A parsed YAML node (plain data, read-only for users). */
typedef enum fcfit_ynode_kind { FCFIT_Y_SCALAR, FCFIT_Y_SEQ, FCFIT_Y_MAP } fcfit_ynode_kind;
typedef struct fcfit_ynode {
    fcfit_ynode_kind kind;
    char *text;                 /**< SCALAR: the text ("" for null) */
    int quoted;                 /**< SCALAR: written in quotes */
    size_t n;                   /**< SEQ/MAP: number of items */
    char **keys;                /**< MAP: keys */
    struct fcfit_ynode **items; /**< SEQ/MAP: values */
    char *where;                /**< "file:line" of the node */
    int is_null;                /**< SCALAR: an explicit YAML null (null, ~), text "" */
} fcfit_ynode;

/** A regional value: scalar, inline vector or file. */
typedef enum fcfit_regional_kind {
    FCFIT_REGIONAL_SCALAR = 0,
    FCFIT_REGIONAL_LIST = 1,
    FCFIT_REGIONAL_FILE = 2,
    FCFIT_REGIONAL_BOLD_PEAK = 3 /**< {from_bold_peak: [lo_hz, hi_hz]}: 2 pi x the peak frequency
                                      of each region's band-passed target BOLD */
} fcfit_regional_kind;

typedef struct fcfit_regional {
    fcfit_regional_kind kind;
    double scalar;   /**< SCALAR */
    size_t n;        /**< LIST: number of values; BOLD_PEAK: 2 */
    double *values;  /**< LIST; BOLD_PEAK: the band [lo_hz, hi_hz] */
    char *path;      /**< FILE: resolved path */
} fcfit_regional;

typedef struct fcfit_config fcfit_config;

/** Create an empty registry. */
fcfit_status fcfit_config_create(fcfit_config **cfg);

/** Free; safe on NULL; sets *cfg to NULL. */
void fcfit_config_destroy(fcfit_config **cfg);

/** Register one key (its default is parsed and checked now). Duplicate keys are an internal error. */
fcfit_status fcfit_config_register(fcfit_config *cfg, const fcfit_opt_desc *d);

/** Read a YAML job file; every key must be registered. */
fcfit_status fcfit_config_load_file(fcfit_config *cfg, const char *path);

/** Read YAML text (label names it in messages; base_dir resolves relative paths). */
fcfit_status fcfit_config_load_string(fcfit_config *cfg, const char *text, const char *label,
                                      const char *base_dir);

/**
 * Apply one command-line override "key.path=value" (relative paths resolve against the CWD).
 * value null (or ~) puts the key back to its default, or unsets it when it has none (so
 * `target.fc=null` drops a target). Below a key that holds a mapping (sweep.params,
 * optimize.params, refine.params) the rest of the path names one entry of that mapping:
 * `sweep.params.model.rww.G={linspace: [0.1, 2, 20]}` replaces or adds that entry, and
 * `...=null` removes it.
 */
fcfit_status fcfit_config_set(fcfit_config *cfg, const char *assignment);

/* ---- Getters (keys are the registered ones; an unknown key returns 0/NULL) ---- */

/** Nonzero when the key was given in the job file or on the command line. */
int fcfit_config_is_set(const fcfit_config *cfg, const char *key);

/** Nonzero when the key has a value (given or defaulted). */
int fcfit_config_has_value(const fcfit_config *cfg, const char *key);

int fcfit_config_bool(const fcfit_config *cfg, const char *key);
int64_t fcfit_config_int(const fcfit_config *cfg, const char *key);
double fcfit_config_real(const fcfit_config *cfg, const char *key);
/** STRING, PATH (resolved), ENUM (the choice name) */
const char *fcfit_config_string(const fcfit_config *cfg, const char *key);
/** ENUM: index of the choice */
size_t fcfit_config_enum(const fcfit_config *cfg, const char *key);
const fcfit_regional *fcfit_config_regional(const fcfit_config *cfg, const char *key);
/** PATHS and REALS: number of entries and entry i */
size_t fcfit_config_list_len(const fcfit_config *cfg, const char *key);
const char *fcfit_config_list_path(const fcfit_config *cfg, const char *key, size_t i);
double fcfit_config_list_real(const fcfit_config *cfg, const char *key, size_t i);
const fcfit_ynode *fcfit_config_tree(const fcfit_config *cfg, const char *key);

/** Where the value came from: "job.yaml:12", "--set", or "default". */
const char *fcfit_config_where(const fcfit_config *cfg, const char *key);

/** Registration of a key (NULL when unknown). */
const fcfit_opt_desc *fcfit_config_desc(const fcfit_config *cfg, const char *key);

/** Number of registered keys and key i, in registration order. */
size_t fcfit_config_count(const fcfit_config *cfg);
const char *fcfit_config_key_at(const fcfit_config *cfg, size_t i);

/**
 * Canonical effective configuration as YAML text, one "key: value" line per
 * key with a value, in registration order; keys whose name starts with one of
 * the `skip_prefixes` (NULL-terminated, may be NULL) are left out, and with
 * hash_only nonzero so are NOHASH keys. Reals use 17 significant digits, so the
 * text reads back to identical values. Returns a malloc'd string (NULL on
 * out-of-memory).
 */
char *fcfit_config_canonical(const fcfit_config *cfg, int hash_only,
                             const char *const *skip_prefixes);

/**
 * Print the registry: a plain listing or Markdown (docs/job-reference.md).
 * Keys starting with a prefix in skip_prefixes are omitted.
 */
void fcfit_config_print_reference(const fcfit_config *cfg, FILE *out, int markdown,
                                  const char *const *skip_prefixes);

/** Human-readable type of a key ("real in [0, 1] ms"), for messages and listings. */
void fcfit_config_describe_type(const fcfit_opt_desc *d, char *buf, size_t cap);

/** Parse a YAML string into a tree (for tests and internal use); free with fcfit_ynode_free. */
fcfit_status fcfit_yaml_parse(const char *text, const char *label, fcfit_ynode **out);
void fcfit_ynode_free(fcfit_ynode *node);

#ifdef __cplusplus
}
#endif
#endif /* FCFIT_CONFIG_H */

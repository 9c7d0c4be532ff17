/**
 * @file fcfit_protocol.h
 * Coordinator/worker messages: tags, fixed header, and pure pack/unpack
 * functions (no MPI calls here; src/parallel/ sends the bytes). Unpacking
 * validates the header and every length, so a malformed or truncated message
 * is FCFIT_ERR_PROTOCOL, never an out-of-bounds read.
 *
 * Flow (docs/protocol.md): the plan is broadcast once; a worker sends READY,
 * then repeatedly receives TASK (a batch of work items) and answers RESULT
 * (one record per item), until STOP. ERROR carries a worker's fatal error.
 */
#ifndef FCFIT_PROTOCOL_H
#define FCFIT_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "fcfit/fcfit_pack.h"
#include "fcfit/fcfit_status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    FCFIT_TAG_READY = 11,
    FCFIT_TAG_TASK = 12,
    FCFIT_TAG_RESULT = 13,
    FCFIT_TAG_ERROR = 14,
    FCFIT_TAG_STOP = 15
};

#define FCFIT_PROTOCOL_VERSION 1u

/** One unit of work: one replicate of one task. */
typedef struct fcfit_work_item {
    uint64_t stage;     /**< stage index (0: sweep) */
    uint64_t task;      /**< task id (stage base + point index) */
    uint64_t point;     /**< index of the point within its stage */
    uint64_t replicate;
    uint64_t seed;      /**< derive(job seed, task, replicate) */
    size_t n_dims;
    double dims[64];    /**< the point's dimension values */
} fcfit_work_item;

#define FCFIT_PROTOCOL_MAX_DIMS 64

/** The outcome of one work item. Arrays are owned by whoever filled the record. */
typedef struct fcfit_work_result {
    uint64_t stage, task, point, replicate;
    int64_t status;
    char reason[160];
    double wall_s;
    size_t n_scores;
    double *scores;
    size_t n_subject_scores;     /**< subjects x per-subject metrics */
    double *subject_scores;
    size_t n_fc;                 /**< 0 when FC is not saved */
    float *fc;
    int64_t tune_active, tune_converged, tune_iterations;
    double tune_max_error;
} fcfit_work_result;

/** Pack a TASK message of n items. */
void fcfit_proto_pack_task(fcfit_packer *p, size_t n, const fcfit_work_item *items);

/** Unpack a TASK message; at most cap items; *n receives the count. */
fcfit_status fcfit_proto_unpack_task(const void *buf, size_t len, size_t cap,
                                     fcfit_work_item *items, size_t *n);

/** Pack a RESULT message of n records. */
void fcfit_proto_pack_result(fcfit_packer *p, size_t n, const fcfit_work_result *res);

/**
 * Unpack a RESULT message into caller records whose arrays are already
 * allocated with the expected sizes (n_scores, n_subject_scores, n_fc set):
 * every length in the message must match them.
 */
fcfit_status fcfit_proto_unpack_result(const void *buf, size_t len, size_t cap,
                                       fcfit_work_result *res, size_t *n);

/** Pack / unpack an ERROR (status and message) or STOP (code) message. */
void fcfit_proto_pack_error(fcfit_packer *p, int64_t status, const char *message);
fcfit_status fcfit_proto_unpack_error(const void *buf, size_t len, int64_t *status, char *msg,
                                      size_t cap);
void fcfit_proto_pack_stop(fcfit_packer *p, int64_t code);
fcfit_status fcfit_proto_unpack_stop(const void *buf, size_t len, int64_t *code);

#ifdef __cplusplus
}
#endif
#endif

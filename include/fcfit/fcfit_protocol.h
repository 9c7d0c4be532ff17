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
    FCFIT_TAG_STOP = 15,
    FCFIT_TAG_PROGRESS = 16,   /**< worker -> 0: where the running batch is */
    FCFIT_TAG_SUSPEND = 17,    /**< 0 -> worker: checkpoint the running batch and send it */
    FCFIT_TAG_CHECKPOINT = 18, /**< worker -> 0: the checkpoints of a suspended batch */
    FCFIT_TAG_RESUME = 19,     /**< 0 -> worker: one work item and the checkpoint to resume */
    FCFIT_TAG_SIGNAL = 20      /**< worker -> 0: this rank received a stop signal */
};

#define FCFIT_PROTOCOL_VERSION 3u

/** Most parameter rows one work item may set (more than any model has parameters). */
#define FCFIT_PROTOCOL_MAX_SET 256

/**
 * One unit of work: one replicate of one task. A task carries the values of
 * the model parameters it changes, one row of n_regions values per parameter;
 * every other parameter keeps the job's value. The coordinator alone knows
 * the stages, so workers need nothing but the plan and these messages.
 */
typedef struct fcfit_work_item {
    uint64_t stage;     /**< stage kind (0 sweep, 1 optimize, 2 refine, 3 validate) */
    uint64_t task;      /**< task id FCFIT_STAGE_TASK(stage, row) */
    uint64_t point;     /**< row within its stage */
    uint64_t replicate;
    uint64_t seed;      /**< the replicate's noise seed */
    uint64_t subject;   /**< per-subject connectomes: the subject whose SC and target the task
                             uses (0 otherwise) */
    size_t n_set;       /**< parameter rows set */
    uint32_t set_param[FCFIT_PROTOCOL_MAX_SET]; /**< their model parameter indices */
    double *set_values; /**< [n_set][n_regions]: packing borrows it; unpacking points it into
                             the caller's arena */
} fcfit_work_item;

/** The outcome of one work item. Arrays are owned by whoever filled the record. */
typedef struct fcfit_work_result {
    uint64_t stage, task, point, replicate;
    int64_t status;
    char reason[160];
    double wall_s;
    size_t n_scores;
    double *scores;
    size_t n_scores2;            /**< scores against the validation target (0: none) */
    double *scores2;
    size_t n_subject_scores;     /**< subjects x per-subject metrics */
    double *subject_scores;
    size_t n_fc;                 /**< 0 when FC is not saved */
    float *fc;
    int64_t tune_active, tune_converged, tune_iterations;
    double tune_max_error;
    size_t n_diag;               /**< diagnostics (fcfit_diag.h) */
    double *diag;
} fcfit_work_result;

/**
 * Progress of a worker inside a long batch (PROGRESS, worker to rank 0, sent
 * between chunks at most every log.progress_s seconds): the simulated time
 * of the batch so far and its total, and the wall time it has taken.
 */
typedef struct fcfit_work_progress {
    uint64_t n_tasks;            /**< work items in the batch */
    double simulated_s, total_s, wall_s;
} fcfit_work_progress;

void fcfit_proto_pack_task(fcfit_packer *p, size_t n, size_t n_regions,
                           const fcfit_work_item *items);

/** Pack a TASK message of n items whose parameter rows have n_regions values. */
/**
 * Unpack a TASK message; at most cap items, each setting at most max_set
 * parameter rows of n_regions values (parameter indices < max_set); values go
 * to arena ([cap][max_set][n_regions] doubles); *n receives the count.
 */
fcfit_status fcfit_proto_unpack_task(const void *buf, size_t len, size_t cap, size_t n_regions,
                                     size_t max_set, fcfit_work_item *items, double *arena,
                                     size_t *n);

/** Pack a RESULT message of n records. */
void fcfit_proto_pack_result(fcfit_packer *p, size_t n, const fcfit_work_result *res);

/**
 * Unpack a RESULT message into caller records whose arrays are already
 * allocated with the expected sizes (n_scores, n_subject_scores, n_fc set):
 * every length in the message must match them.
 */
fcfit_status fcfit_proto_unpack_result(const void *buf, size_t len, size_t cap,
                                       fcfit_work_result *res, size_t *n);

/** Pack / unpack a PROGRESS message. */
void fcfit_proto_pack_progress(fcfit_packer *p, const fcfit_work_progress *pr);
fcfit_status fcfit_proto_unpack_progress(const void *buf, size_t len, fcfit_work_progress *pr);

/** Pack / unpack an ERROR (status and message) or STOP (code) message. */
void fcfit_proto_pack_error(fcfit_packer *p, int64_t status, const char *message);
fcfit_status fcfit_proto_unpack_error(const void *buf, size_t len, int64_t *status, char *msg,
                                      size_t cap);
void fcfit_proto_pack_stop(fcfit_packer *p, int64_t code);
fcfit_status fcfit_proto_unpack_stop(const void *buf, size_t len, int64_t *code);

/**
 * A checkpoint of one work item (docs/protocol.md): the item's identity, the simulation step it
 * was taken at, and the evaluator's checkpoint bytes (fcfit_eval_checkpoint_save). Packing
 * borrows `data`; unpacking points it into the message buffer (copy it before reusing that).
 */
typedef struct fcfit_ckpt_record {
    uint64_t stage, task, point, replicate, seed;
    uint64_t step;
    uint64_t size;
    const unsigned char *data;
} fcfit_ckpt_record;

/** SUSPEND (no payload) and SIGNAL (the signal number). */
void fcfit_proto_pack_suspend(fcfit_packer *p);
fcfit_status fcfit_proto_unpack_suspend(const void *buf, size_t len);
void fcfit_proto_pack_signal(fcfit_packer *p, int64_t sig);
fcfit_status fcfit_proto_unpack_signal(const void *buf, size_t len, int64_t *sig);

/** CHECKPOINT: n records (n may be 0: nothing could be saved). At most cap are unpacked. */
void fcfit_proto_pack_checkpoint(fcfit_packer *p, size_t n, const fcfit_ckpt_record *recs);
fcfit_status fcfit_proto_unpack_checkpoint(const void *buf, size_t len, size_t cap,
                                           fcfit_ckpt_record *recs, size_t *n);

/**
 * RESUME: one work item, packed as a one-item TASK inside the message, and its checkpoint,
 * whose identity must be the item's (checked when unpacking). Unpacking takes the limits of
 * fcfit_proto_unpack_task (n_regions, max_set, arena for one item).
 */
void fcfit_proto_pack_resume(fcfit_packer *p, size_t n_regions, const fcfit_work_item *item,
                             const fcfit_ckpt_record *rec);
fcfit_status fcfit_proto_unpack_resume(const void *buf, size_t len, size_t n_regions,
                                       size_t max_set, fcfit_work_item *item, double *arena,
                                       fcfit_ckpt_record *rec);

#ifdef __cplusplus
}
#endif
#endif

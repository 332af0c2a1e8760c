/*===- model_abi.h - the table kiln emits and its runtime drives -*- C -*-===*\
 *
 * `kiln build` emits one `kiln_model_desc` per binary: the model's
 * parameters, inputs and hyperparameters, and for each step function the
 * tensors it uses and the kernel calls that compute them. Kernels are
 * Halide AOT pipelines called through their uniform `_argv` entry points.
 * Plain C so the table compiles in a blink and the runtime needs no LLVM,
 * MLIR or Halide compiler library.
 *
 * The runtime owns this format and every enum that crosses it (dtypes,
 * bindings, metrics, learning-rate schedules, initializers, parameter
 * kinds), defined once here; the compiler's step table and table emitter
 * use the same enums. A table of another KILN_ABI_VERSION is refused when
 * the model starts (session.cpp).
 *
\*===----------------------------------------------------------------------===*/
#ifndef KILN_MODEL_ABI_H
#define KILN_MODEL_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_ABI_VERSION 9 /* bump on any change below */
#define KILN_MAX_RANK 8
/* A dimension of this size is the batch size, bound at run time. */
#define KILN_BATCH_DIM (-1)

/* Halide's `_argv` calling convention: one pointer per argument, in the
 * order inputs, batch size, outputs (halide_buffer_t* for tensors, int32_t*
 * for the batch size). */
typedef int (*kiln_kernel_fn)(void **args);

/* Element types; a bool is one byte (Halide's convention). F64 appears
 * only in gradient_f64, the float64 twin of the gradient function. */
enum kiln_dtype { KILN_F32 = 0, KILN_I32 = 1, KILN_BOOL = 2, KILN_F64 = 3 };

typedef struct kiln_tensor {
  int32_t dtype; /* enum kiln_dtype */
  int32_t rank;
  int64_t dims[KILN_MAX_RANK];
  const void *data; /* constant tensors only; NULL otherwise */
  /* Arena slot (kiln-plan-memory): tensors of one slot share storage, their
   * live ranges never overlap. -1: storage of its own (arguments,
   * constants, updates the runtime swaps in). */
  int32_t slot;
} kiln_tensor;

/* A loop (nn.scan): the `num_body` calls after its own run once per step,
 * t = 0 .. length-1 (length-1 .. 0 when `reverse`). Before the first step
 * each carry_init is copied into its carry_in; before each step slice t of
 * each sequence (along `axis`; dim 0 is the batch) into its seq_slice.
 * After each step each out_step is copied into slice t of its out_stacked,
 * then each carry_out into its carry_in; after the last, each carry_in
 * into its carry_final. The body's closures are the outer tensors
 * themselves. All tensor ids are the function's. */
typedef struct kiln_loop {
  int32_t length, axis, reverse;
  int32_t num_body;
  int32_t num_carries;
  const int32_t *carry_init, *carry_in, *carry_out, *carry_final;
  int32_t num_sequences;
  const int32_t *seq, *seq_slice;
  int32_t num_outputs;
  const int32_t *out_step, *out_stacked;
} kiln_loop;

typedef struct kiln_call {
  kiln_kernel_fn fn; /* NULL for a loop */
  const char *kernel; /* kernel symbol, e.g. "kiln_k3" */
  const char *op;     /* the nn ops it computes, e.g. "matmul+add+relu" */
  const char *loc;    /* where its first op came from, "file:line:col" */
  int32_t num_inputs;
  const int32_t *inputs; /* tensor ids */
  int32_t num_outputs;
  const int32_t *outputs; /* tensor ids, in the kernel's buffer order */
  const kiln_loop *loop;  /* non-NULL: a loop (fn NULL, no inputs/outputs) */
} kiln_call;

enum kiln_binding_kind {
  KILN_BIND_PARAM = 0,
  KILN_BIND_HYPER = 1,
  KILN_BIND_INPUT = 2,
  KILN_BIND_LABEL = 3,
  KILN_BIND_UPDATE = 4,
  KILN_BIND_LOSS = 5,
  KILN_BIND_OUTPUT = 6,
  KILN_BIND_GRADIENT = 7,    /* d(loss)/d(name) */
  KILN_BIND_LOSS_TANGENT = 8 /* loss tangent along ones(name) */
};

/* How an output is scored: argmax against a class label, or a probability
 * thresholded at 0.5 against a 0/1 label. */
enum kiln_metric {
  KILN_METRIC_NONE = 0,
  KILN_METRIC_ACCURACY = 1,
  KILN_METRIC_BINARY_ACCURACY = 2
};

typedef struct kiln_binding {
  const char *name;
  int32_t kind; /* enum kiln_binding_kind */
  int32_t tensor;
  int32_t metric; /* enum kiln_metric (outputs; KILN_METRIC_NONE otherwise) */
} kiln_binding;

typedef struct kiln_function {
  const char *name;
  int32_t num_tensors;
  const kiln_tensor *tensors;
  int32_t num_slots;
  int32_t num_args;
  const kiln_binding *args;
  int32_t num_results;
  const kiln_binding *results;
  int32_t num_calls;
  const kiln_call *calls;
  /* Floating-point operations of one call: fixed + per_sample * batch
   * (matmuls 2·M·N·K, other ops one per element). */
  double flops_fixed, flops_per_sample;
} kiln_function;

/* Parameter initializers (the compiler maps the nn dialect's InitKind). */
enum kiln_init_kind {
  KILN_INIT_ZEROS = 0,
  KILN_INIT_ONES = 1,
  KILN_INIT_CONSTANT = 2,
  KILN_INIT_UNIFORM = 3,
  KILN_INIT_NORMAL = 4,
  KILN_INIT_XAVIER_UNIFORM = 5,
  KILN_INIT_XAVIER_NORMAL = 6,
  KILN_INIT_HE_UNIFORM = 7,
  KILN_INIT_HE_NORMAL = 8
};

/* Persistent tensors: trained parameters and optimizer state (Adam's
 * moments, batch norm's running statistics), both kept across steps and
 * initialised from `init` (zeros for optimizer state; a running variance
 * starts at ones). */
enum kiln_param_kind { KILN_PARAM = 0, KILN_STATE = 1 };

typedef struct kiln_param {
  const char *name;
  int32_t kind; /* enum kiln_param_kind */
  int32_t rank;
  int64_t dims[KILN_MAX_RANK];
  int32_t init; /* enum kiln_init_kind */
  double init_args[2];
  const char *loc;
} kiln_param;

typedef struct kiln_input {
  const char *name;
  int32_t dtype; /* enum kiln_dtype: f32 features/targets, i32 class labels */
  int32_t rank;
  int64_t dims[KILN_MAX_RANK];
  int32_t label;
} kiln_input;

typedef struct kiln_hyper {
  const char *name;
  double default_value;
} kiln_hyper;

/* A data set compiled into the model (tiny worked examples such as XOR). */
typedef struct kiln_dataset {
  const char *name;
  int64_t rows, features, targets;
  const float *x; /* rows x features */
  const float *y; /* rows x targets */
} kiln_dataset;

/* The learning-rate schedule (the model's; `--lr-schedule` overrides it):
 * constant, step (a: factor, b: every epochs), exponential and
 * inverse_time (a: rate, b: steps), cosine (a: steps, 0 for the whole run;
 * b: min_lr). */
enum kiln_schedule_kind {
  KILN_SCHEDULE_CONSTANT = 0,
  KILN_SCHEDULE_STEP = 1,
  KILN_SCHEDULE_EXPONENTIAL = 2,
  KILN_SCHEDULE_INVERSE_TIME = 3,
  KILN_SCHEDULE_COSINE = 4
};

typedef struct kiln_schedule {
  int32_t kind; /* enum kiln_schedule_kind */
  double a, b;
} kiln_schedule;

typedef struct kiln_model {
  int32_t abi_version;
  const char *name;
  const char *target;    /* Halide target the kernels were compiled for */
  const char *optimizer; /* e.g. "sgd" */
  kiln_schedule schedule;
  int32_t num_params;
  const kiln_param *params;
  int32_t num_inputs;
  const kiln_input *inputs;
  int32_t num_hypers;
  const kiln_hyper *hypers;
  const kiln_function *train_step; /* NULL when the model has none */
  const kiln_function *eval_step;
  const kiln_function *predict;
  const kiln_function *gradient; /* loss and d(loss)/d(params) */
  const kiln_function *jvp;      /* loss and its forward-mode tangents */
  /* `gradient` with every f32 tensor in float64 and its kernels on the
   * CPU: grad-check's reference (NULL without a gradient function). */
  const kiln_function *gradient_f64;
  int32_t num_kernels;
  const kiln_dataset *dataset; /* NULL unless the model carries its data */
} kiln_model;

/* Defined by the table `kiln build` generates. */
extern const kiln_model kiln_model_desc;

#ifdef __cplusplus
}
#endif

#endif /* KILN_MODEL_ABI_H */

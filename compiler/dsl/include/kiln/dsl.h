//===- kiln/dsl.h - write a model in C++ ------------------------*- C++ -*-===//
//
// A model file is an ordinary C++ program that `kiln build` compiles and
// runs to build the model's IR (the Halide "generator" pattern):
//
//   #include <kiln/dsl.h>
//   using namespace kiln;
//
//   KILN_MODEL(logistic_regression, m) {
//     Tensor x = m.input("x", {batch, 30});
//     Tensor y = m.label("y", {batch, 1});
//     Tensor p = sigmoid(dense(m, "fc", x, 1));
//     m.output("probability", p, Metric::binary_accuracy);
//     m.loss(binary_cross_entropy(p, y));
//     m.optimizer(optim::sgd(0.1));
//   }
//
// Every call records the caller's file:line:col, so a shape error points at
// the line that made it: functions take a defaulted std::source_location,
// operators get theirs through the implicit conversion to `At`. A failed op
// yields an invalid Tensor that silently poisons its users, so one mistake
// gives one error. KILN_MODEL defines the generator's main, and
// `kiln build -DNAME=VALUE` defines macros for the model file (one file,
// several variants).
//
// This header has no MLIR or LLVM in it. libkiln_dsl.so holds MLIR
// (linked statically, hidden by --exclude-libs,ALL) and exports only
// kiln:: (KILN_API).
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DSL_H
#define KILN_DSL_H

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <source_location>
#include <string>
#include <vector>

#define KILN_API __attribute__((visibility("default")))

namespace kiln {

/// The batch dimension, sized at run time: `m.input("x", {batch, 30})`.
inline constexpr int64_t batch = -1;

using Shape = std::vector<int64_t>;
using Axes = std::vector<int64_t>;
using Loc = std::source_location;

namespace detail {
struct ModelImpl;
struct Access;
} // namespace detail

/// A value in the model graph; cheap to copy. A tensor whose creation failed
/// (the error was already reported) is invalid and poisons what uses it.
class KILN_API Tensor {
public:
  Tensor() = default;
  /// Dims; kiln::batch (-1) for the batch dimension.
  const Shape &shape() const;
  /// Dim `axis`; negative axes count from the end.
  int64_t dim(int axis) const;
  int rank() const;
  bool valid() const { return impl_ != nullptr; }

private:
  friend struct detail::Access;
  detail::ModelImpl *impl_ = nullptr;
  int id_ = -1;
};

/// Carries the caller's location into operators, which cannot take a
/// defaulted std::source_location: the conversion happens at the call site.
struct At {
  Tensor t;
  Loc loc;
  At(Tensor t, Loc loc = Loc::current()) : t(t), loc(loc) {}
};

/// How a parameter starts (same kinds as #nn.init).
struct Init {
  int kind;
  double a = 0, b = 0;
};
namespace init {
KILN_API Init zeros();
KILN_API Init ones();
KILN_API Init constant(double value);
KILN_API Init uniform(double low, double high);
KILN_API Init normal(double mean, double stddev);
KILN_API Init xavier_uniform(); ///< U(±√(6/(fan_in+fan_out)))
KILN_API Init xavier_normal();  ///< N(0, 2/(fan_in+fan_out))
KILN_API Init he_uniform();     ///< U(±√(6/fan_in))
KILN_API Init he_normal();      ///< N(0, 2/fan_in)
} // namespace init

/// How the learning rate changes during training (t: the 1-based step,
/// e: the 0-based epoch). The runtime computes it at every step: the
/// current lr is a runtime scalar, and `--lr-schedule` can override it.
struct Schedule {
  std::string kind = "constant";
  double a = 0, b = 0;
};
namespace schedule {
/// lr0 throughout.
KILN_API Schedule constant();
/// lr0 · factor^⌊e / every⌋: × factor every `every` epochs.
KILN_API Schedule step(double factor, double every);
/// lr0 · rate^(t / steps).
KILN_API Schedule exponential(double rate, double steps);
/// lr0 / (1 + rate · t / steps).
KILN_API Schedule inverse_time(double rate, double steps);
/// min_lr + (lr0 − min_lr) · (1 + cos(π · min(t, steps) / steps)) / 2;
/// steps 0: the whole training run.
KILN_API Schedule cosine(double steps = 0, double min_lr = 0);
} // namespace schedule

/// An optimizer of ../shared/CATALOG.md; `.with(schedule::...)` adds a
/// learning-rate schedule.
struct Optimizer {
  std::string kind;
  double lr;
  double beta1 = 0, beta2 = 0, eps = 0;
  double momentum = 0, rho = 0, weight_decay = 0;
  // Not set: no clipping (so clip_by_norm(0) reaches the verifier).
  double clip_value = std::numeric_limits<double>::quiet_NaN(),
         clip_norm = std::numeric_limits<double>::quiet_NaN();
  Schedule schedule;
  Optimizer with(Schedule s) const {
    Optimizer o = *this;
    o.schedule = s;
    return o;
  }
  /// Clips every gradient element into [−c, c] before the update.
  Optimizer clip_by_value(double c) const {
    Optimizer o = *this;
    o.clip_value = c;
    return o;
  }
  /// Scales all gradients by c / max(‖g‖, c), ‖g‖ their global L2 norm.
  Optimizer clip_by_norm(double c) const {
    Optimizer o = *this;
    o.clip_norm = c;
    return o;
  }
};
namespace optim {
/// Stochastic gradient descent θ ← θ − lr·g.
KILN_API Optimizer sgd(double lr = 0.01);
/// v ← β v + lr·g, θ ← θ − v.
KILN_API Optimizer momentum(double lr = 0.01, double beta = 0.9);
/// v ← β v + lr·g, θ ← θ − (β v + lr·g) (Nesterov's look-ahead).
KILN_API Optimizer nesterov(double lr = 0.01, double beta = 0.9);
/// s ← s + g², θ ← θ − lr·g / √(s + ε).
KILN_API Optimizer adagrad(double lr = 0.01, double eps = 1e-8);
/// s ← ρ s + (1 − ρ) g², θ ← θ − lr·g / √(s + ε).
KILN_API Optimizer rmsprop(double lr = 1e-3, double rho = 0.9,
                           double eps = 1e-8);
/// Adam with bias correction (Kingma & Ba).
KILN_API Optimizer adam(double lr = 1e-3, double beta1 = 0.9,
                        double beta2 = 0.999, double eps = 1e-8);
/// Adam with decoupled weight decay λ: θ ← θ − lr·(Adam's step + λ θ).
KILN_API Optimizer adamw(double lr = 1e-3, double weight_decay = 1e-2,
                         double beta1 = 0.9, double beta2 = 0.999,
                         double eps = 1e-8);
} // namespace optim

/// How the runtime scores an output against the model's label:
/// binary_accuracy compares output > 0.5 with a 0/1 label, accuracy the
/// argmax of the last dim with an i32 class label.
enum class Metric { none, binary_accuracy, accuracy };

/// Element types of inputs: float features and targets, or integer class
/// labels (for one_hot and the like).
enum class DType { f32, i32 };

/// Rows of numbers, for data compiled into a model.
using Rows = std::vector<std::vector<double>>;

class KILN_API Model {
public:
  explicit Model(const std::string &name, Loc loc = Loc::current());
  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  /// Per-sample features the runtime feeds (predict needs these).
  Tensor input(const std::string &name, Shape shape, Loc loc = Loc::current());
  /// Per-sample targets: fed to training and evaluation, never to predict.
  /// DType::i32 labels hold class indices.
  Tensor label(const std::string &name, Shape shape, DType dtype = DType::f32,
               Loc loc = Loc::current());
  /// A trainable tensor (static shape).
  Tensor param(const std::string &name, Shape shape,
               Init init = init::xavier_uniform(), Loc loc = Loc::current());
  /// A named result of predict (and eval).
  void output(const std::string &name, Tensor value,
              Metric metric = Metric::none, Loc loc = Loc::current());
  /// The scalar training minimizes.
  void loss(Tensor value, Loc loc = Loc::current());
  /// Defaults to optim::sgd(0.01).
  void optimizer(const Optimizer &opt, Loc loc = Loc::current());
  /// Data compiled into the model (tiny worked examples such as XOR): one
  /// row of features and one row of targets per sample. `./model train`
  /// uses it when given no other data, with no validation split and no
  /// normalisation unless asked for.
  void dataset(const std::string &name, const Rows &features,
               const Rows &targets, Loc loc = Loc::current());

  detail::ModelImpl *impl() const { return impl_; }

private:
  detail::ModelImpl *impl_;
};

// ---- Tensor ops (numpy broadcasting for elementwise arithmetic) ----------
struct MatmulOptions {
  bool transpose_a = false;
  bool transpose_b = false;
};
KILN_API Tensor matmul(Tensor a, Tensor b, MatmulOptions opts = {},
                       Loc loc = Loc::current());

KILN_API Tensor operator+(At a, Tensor b);
KILN_API Tensor operator-(At a, Tensor b);
KILN_API Tensor operator*(At a, Tensor b);
KILN_API Tensor operator/(At a, Tensor b);
KILN_API Tensor operator+(At a, double b);
KILN_API Tensor operator-(At a, double b);
KILN_API Tensor operator*(At a, double b);
KILN_API Tensor operator/(At a, double b);
KILN_API Tensor operator+(double a, At b);
KILN_API Tensor operator-(double a, At b);
KILN_API Tensor operator*(double a, At b);
KILN_API Tensor operator/(double a, At b);
KILN_API Tensor operator-(At a);

KILN_API Tensor neg(Tensor x, Loc loc = Loc::current());
KILN_API Tensor exp(Tensor x, Loc loc = Loc::current());
KILN_API Tensor log(Tensor x, Loc loc = Loc::current());
KILN_API Tensor sigmoid(Tensor x, Loc loc = Loc::current());
KILN_API Tensor relu(Tensor x, Loc loc = Loc::current());
/// tanh x = 2σ(2x) − 1 (tanh' = 1 − tanh²).
KILN_API Tensor tanh(Tensor x, Loc loc = Loc::current());
/// x for x ≥ 0, αx otherwise.
KILN_API Tensor leaky_relu(Tensor x, double alpha = 0.01,
                           Loc loc = Loc::current());
/// x for x > 0, α(eˣ − 1) otherwise.
KILN_API Tensor elu(Tensor x, double alpha = 1.0, Loc loc = Loc::current());
/// Swish x·σ(x).
KILN_API Tensor swish(Tensor x, Loc loc = Loc::current());
/// softplus ln(1 + eˣ), computed stably as max(x, 0) + ln(1 + e^−|x|).
KILN_API Tensor softplus(Tensor x, Loc loc = Loc::current());
/// softmax / log_softmax along `axis` (the last by default), stable.
KILN_API Tensor softmax(Tensor x, int64_t axis = -1, Loc loc = Loc::current());
KILN_API Tensor log_softmax(Tensor x, int64_t axis = -1,
                            Loc loc = Loc::current());
KILN_API Tensor sqrt(Tensor x, Loc loc = Loc::current());
KILN_API Tensor abs(Tensor x, Loc loc = Loc::current());
KILN_API Tensor sign(Tensor x, Loc loc = Loc::current());
KILN_API Tensor sin(Tensor x, Loc loc = Loc::current());
KILN_API Tensor cos(Tensor x, Loc loc = Loc::current());
KILN_API Tensor pow(Tensor base, Tensor exponent, Loc loc = Loc::current());
KILN_API Tensor pow(Tensor base, double exponent, Loc loc = Loc::current());
KILN_API Tensor maximum(Tensor a, Tensor b, Loc loc = Loc::current());
KILN_API Tensor minimum(Tensor a, Tensor b, Loc loc = Loc::current());

/// Elementwise comparisons give boolean masks (not differentiable); use them
/// in where() or cast() them to f32.
KILN_API Tensor operator<(At a, Tensor b);
KILN_API Tensor operator<=(At a, Tensor b);
KILN_API Tensor operator>(At a, Tensor b);
KILN_API Tensor operator>=(At a, Tensor b);
KILN_API Tensor operator<(At a, double b);
KILN_API Tensor operator>(At a, double b);
KILN_API Tensor equal(Tensor a, Tensor b, Loc loc = Loc::current());
KILN_API Tensor not_equal(Tensor a, Tensor b, Loc loc = Loc::current());
/// where(mask, a, b): a where mask is true, else b (with broadcasting).
KILN_API Tensor where(Tensor mask, Tensor a, Tensor b,
                      Loc loc = Loc::current());
/// Converts a mask or integer tensor to f32 (true = 1).
KILN_API Tensor to_f32(Tensor x, Loc loc = Loc::current());

/// Sum / mean over `axes` (all axes when empty); negative axes count from
/// the end.
KILN_API Tensor sum(Tensor x, Axes axes = {}, bool keepdims = false,
                    Loc loc = Loc::current());
KILN_API Tensor mean(Tensor x, Axes axes = {}, bool keepdims = false,
                     Loc loc = Loc::current());
/// Largest element over `axes` (all axes when empty).
KILN_API Tensor max(Tensor x, Axes axes = {}, bool keepdims = false,
                    Loc loc = Loc::current());
KILN_API Tensor reshape(Tensor x, Shape shape, Loc loc = Loc::current());
/// [batch, d1, d2, ...] → [batch, d1·d2·...] (a reshape).
KILN_API Tensor flatten(Tensor x, Loc loc = Loc::current());
KILN_API Tensor broadcast_to(Tensor x, Shape shape, Loc loc = Loc::current());
/// Result dim i is input dim permutation[i]; transpose(x) swaps a matrix.
KILN_API Tensor transpose(Tensor x, Axes permutation = {},
                          Loc loc = Loc::current());
KILN_API Tensor concat(const std::vector<Tensor> &xs, int64_t axis,
                       Loc loc = Loc::current());
/// Elements start, start + step, ... below limit of each dim (a limit of -1
/// keeps a batch dim whole).
KILN_API Tensor slice(Tensor x, Shape starts, Shape limits, Shape steps = {},
                      Loc loc = Loc::current());
/// Zero padding before (low), after (high) and between (interior) elements.
KILN_API Tensor pad(Tensor x, Shape low, Shape high, Shape interior = {},
                    Loc loc = Loc::current());
/// i32 class indices → f32 one-hot rows (a new trailing dim of `classes`).
KILN_API Tensor one_hot(Tensor indices, int64_t classes,
                        Loc loc = Loc::current());
/// Index of the largest element along `axis` (i32; not differentiable).
KILN_API Tensor argmax(Tensor x, int64_t axis, bool keepdims = false,
                       Loc loc = Loc::current());

// ---- Losses (scalar results) --------------------------------------------
/// (1/n) Σ (prediction − target)²
KILN_API Tensor mse(Tensor prediction, Tensor target, Loc loc = Loc::current());
/// −(1/n) Σ [y ln p + (1 − y) ln(1 − p)] on probabilities p.
KILN_API Tensor binary_cross_entropy(Tensor probability, Tensor target,
                                     Loc loc = Loc::current());
/// Binary cross-entropy on logits z (the sigmoid folded in, stable):
/// (1/n) Σ [max(z, 0) − z·y + ln(1 + e^−|z|)].
KILN_API Tensor binary_cross_entropy_with_logits(Tensor logits, Tensor target,
                                                 Loc loc = Loc::current());
/// Mean absolute error (1/n) Σ |prediction − target|.
KILN_API Tensor mae(Tensor prediction, Tensor target, Loc loc = Loc::current());
/// Huber loss, per element ½d² for |d| ≤ δ and δ(|d| − ½δ) beyond, mean.
KILN_API Tensor huber(Tensor prediction, Tensor target, double delta = 1.0,
                      Loc loc = Loc::current());
/// Hinge loss (1/n) Σ max(0, 1 − y·s) for scores s and targets y = ±1.
KILN_API Tensor hinge(Tensor scores, Tensor target, Loc loc = Loc::current());
/// Mean over samples of −log softmax(logits)[label]: logits [..., classes],
/// labels [...] of i32 class indices. Fused and numerically stable.
KILN_API Tensor softmax_cross_entropy(Tensor logits, Tensor labels,
                                      Loc loc = Loc::current());

// ---- Layers and regularisation -------------------------------------------
/// Inverted dropout: each element kept with probability 1 − rate and scaled
/// by 1/(1 − rate) in train_step; the identity in evaluation and predict.
/// A new mask every step (a hash of the step and the element).
KILN_API Tensor dropout(Model &m, Tensor x, double rate,
                        Loc loc = Loc::current());
/// Gaussian noise injection: x + N(0, stddev²) per element in train_step (a
/// new draw every step), the identity in evaluation and predict.
KILN_API Tensor gaussian_noise(Model &m, Tensor x, double stddev,
                               Loc loc = Loc::current());
/// L2 penalty (λ/2) Σ‖w‖² over the parameters whose names end in `suffix`
/// (".w": every dense layer's weights, not the biases); add it to the loss.
KILN_API Tensor l2_penalty(Model &m, double lambda,
                           const std::string &suffix = ".w",
                           Loc loc = Loc::current());
/// L1 penalty λ Σ|w| over the same parameters.
KILN_API Tensor l1_penalty(Model &m, double lambda,
                           const std::string &suffix = ".w",
                           Loc loc = Loc::current());
/// Elastic net: l1_penalty(l1) + l2_penalty(l2).
KILN_API Tensor elastic_net(Model &m, double l1, double l2,
                            const std::string &suffix = ".w",
                            Loc loc = Loc::current());

/// Fully connected y = x·W + b with parameters "<name>.w" ([in, units]) and
/// "<name>.b" ([units]).
KILN_API Tensor dense(Model &m, const std::string &name, Tensor x,
                      int64_t units, Init weight = init::xavier_uniform(),
                      Init bias = init::zeros(), Loc loc = Loc::current());

// ---- Convolutional layers (NHWC data: [batch, height, width, channels]) --
/// Zero padding of a convolution or pooling window: `valid` (none), `same`
/// (output = ⌈input / stride⌉, the extra row or column at the bottom and
/// right), or explicit: {p} on every side, {ph, pw}, or
/// {top, bottom, left, right}.
struct Padding {
  enum class Kind { valid, same, explicit_ } kind = Kind::valid;
  Shape values;
  Padding() = default;
  Padding(std::initializer_list<int64_t> v)
      : kind(Kind::explicit_), values(v) {}
  static Padding same() { return withKind(Kind::same); }
  static Padding valid() { return withKind(Kind::valid); }

private:
  static Padding withKind(Kind k) {
    Padding p;
    p.kind = k;
    return p;
  }
};

struct ConvOptions {
  Shape strides = {1, 1};
  Padding padding = Padding::valid();
  Shape dilation = {1, 1};
  int64_t groups = 1;
};
/// The convolution itself: x [batch, H, W, C] with filter
/// [KH, KW, C / groups, F] → [batch, H', W', F].
KILN_API Tensor conv2d(Tensor x, Tensor filter, ConvOptions opts = {},
                       Loc loc = Loc::current());
/// A convolution layer: parameters "<name>.w" [KH, KW, C / groups,
/// filters] (He-uniform by default, for ReLU nets) and, with `bias`,
/// "<name>.b" [filters].
struct ConvLayer {
  ConvOptions conv;
  bool bias = true;
  Init weight = init::he_uniform();
  Init biasInit = init::zeros();
};
KILN_API Tensor conv2d(Model &m, const std::string &name, Tensor x,
                       int64_t filters, Shape kernel, ConvLayer opts = {},
                       Loc loc = Loc::current());

struct PoolOptions {
  Shape strides = {}; ///< empty: the window (non-overlapping)
  Padding padding = Padding::valid();
};
/// Max over each window, per channel (padding never wins).
KILN_API Tensor max_pool2d(Tensor x, Shape window, PoolOptions opts = {},
                           Loc loc = Loc::current());
/// Mean over each window, per channel; padded positions count as zeros
/// (PyTorch's count_include_pad).
KILN_API Tensor avg_pool2d(Tensor x, Shape window, PoolOptions opts = {},
                           Loc loc = Loc::current());
/// Mean over height and width: [batch, H, W, C] → [batch, C].
KILN_API Tensor global_avg_pool2d(Tensor x, Loc loc = Loc::current());

/// Batch normalisation over every dim but the last (per channel for NHWC,
/// per feature for [batch, features]): y = γ·(x − μ_B)/√(σ²_B + ε) + β
/// with the batch's mean and (biased) variance in training, the running
/// ones in evaluation and predict. Parameters "<name>.gamma" (ones) and
/// "<name>.beta" (zeros); state "<name>.running_mean" (zeros) and
/// "<name>.running_var" (ones), updated every training step as PyTorch
/// does: r ← (1 − momentum)·r + momentum·s, with the unbiased variance.
struct BatchNormOptions {
  double momentum = 0.1;
  double eps = 1e-5;
};
KILN_API Tensor batch_norm(Model &m, const std::string &name, Tensor x,
                           BatchNormOptions opts = {},
                           Loc loc = Loc::current());

// ---- Loops and recurrent layers ----------------------------------------
/// One step of a loop: the carries and slice t of each sequence in; the
/// new carries (as many, of the same shapes) and then the step's outputs
/// out. The step may read any tensor of the model (parameters, other
/// layers' results): those become the loop's closures. Declare parameters
/// outside the step.
using Step = std::function<std::vector<Tensor>(
    const std::vector<Tensor> &carries, const std::vector<Tensor> &slices)>;
struct ScanOptions {
  int64_t axis = 1;     ///< the time axis of the sequences and outputs
  bool reverse = false; ///< run t = T-1 down to 0
  int64_t length = 0;   ///< steps; 0: the sequences' size along `axis`
};
struct ScanResult {
  std::vector<Tensor> carries; ///< after the last step
  std::vector<Tensor> outputs; ///< each step's outputs, stacked along axis
};
/// A real loop in the IR (nn.scan): its size and compile time do not grow
/// with the sequence length, and autodiff backpropagates through time.
KILN_API ScanResult scan(const std::vector<Tensor> &carries,
                         const std::vector<Tensor> &sequences, const Step &step,
                         ScanOptions opts = {}, Loc loc = Loc::current());

struct RnnOptions {
  bool return_sequences = false; ///< [batch, T, hidden] instead of the last
  bool reverse = false;          ///< read the sequence from its end
};
/// An LSTM layer over x [batch, T, features], PyTorch's gates (i, f, g, o)
/// and parameters: "<name>.weight_ih" [4·hidden, features],
/// "<name>.weight_hh" [4·hidden, hidden], "<name>.bias_ih" and
/// "<name>.bias_hh" [4·hidden], all U(±1/√hidden). The state starts at
/// zero; returns the last hidden state [batch, hidden] (or every one).
KILN_API Tensor lstm(Model &m, const std::string &name, Tensor x,
                     int64_t hidden, RnnOptions opts = {},
                     Loc loc = Loc::current());
/// A GRU layer, PyTorch's gates (r, z, n: n = tanh(x·W_inᵀ + b_in +
/// r·(h·W_hnᵀ + b_hn)), h ← (1 − z)·n + z·h) and parameters
/// ("<name>.weight_ih" [3·hidden, features], ...).
KILN_API Tensor gru(Model &m, const std::string &name, Tensor x, int64_t hidden,
                    RnnOptions opts = {}, Loc loc = Loc::current());
/// An Elman RNN layer: h ← tanh(x_t·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh),
/// PyTorch's parameters ("<name>.weight_ih" [hidden, features], ...).
KILN_API Tensor rnn(Model &m, const std::string &name, Tensor x, int64_t hidden,
                    RnnOptions opts = {}, Loc loc = Loc::current());

namespace detail {
/// The generator's main: builds the model and writes its nn IR.
KILN_API int generator_main(int argc, char **argv, const char *name,
                            void (*build)(Model &), Loc loc = Loc::current());
} // namespace detail

} // namespace kiln

/// Defines the model (and the generator's main). One per file.
#define KILN_MODEL(NAME, MODEL)                                                \
  static void kiln_build_##NAME(::kiln::Model &MODEL);                         \
  int main(int argc, char **argv) {                                            \
    return ::kiln::detail::generator_main(argc, argv, #NAME,                   \
                                          &kiln_build_##NAME);                 \
  }                                                                            \
  static void kiln_build_##NAME(::kiln::Model &MODEL)

#endif // KILN_DSL_H

//===- dropout_mask.h - nn.dropout's mask and nn.gaussian_noise's draws -*- C++
//-*-===//
//
// One integer hash, written once for both back ends: instantiated with
// uint32_t by the reference evaluator and with Halide::Expr (UInt(32)) by
// the Halide lowering, so both drop exactly the same elements. A
// counter-based generator: no state, any element in any order, and the
// backward pass recomputes the forward mask instead of storing it.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_DIALECTS_NN_DROPOUT_MASK_H
#define KILN_DIALECTS_NN_DROPOUT_MASK_H

#include <cmath>
#include <cstdint>

namespace kiln::nn {

/// Mixes (seed, salt, coordinates in MLIR dim order) into 32 random bits
/// (murmur3-style multiply/xor-shift rounds, then a finaliser).
template <typename U, typename Coords>
U dropoutHash(U seed, U salt, const Coords &coords) {
  U h = seed * U(0x9E3779B9u) + salt * U(0x85EBCA6Bu);
  h = h ^ (h >> U(16u));
  for (const U &c : coords) {
    h = (h ^ c) * U(0xCC9E2D51u);
    h = h ^ (h >> U(13u));
  }
  h = h ^ (h >> U(16u));
  h = h * U(0x7FEB352Du);
  h = h ^ (h >> U(15u));
  h = h * U(0x846CA68Bu);
  h = h ^ (h >> U(16u));
  return h;
}

/// An element is kept when the hash's top 24 bits, read as u ∈ [0, 1) in
/// steps of 2^-24, are at least `rate`: (h >> 8) ≥ this threshold.
inline uint32_t dropoutThreshold(double rate) {
  return static_cast<uint32_t>(std::ceil(rate * 16777216.0));
}

/// A standard normal draw per element for nn.gaussian_noise: Box–Muller
/// on two 24-bit uniforms from hashes with salts 2s and 2s + 1 (u1 in
/// (0, 1], so the log is finite). `F` is float or Halide::Expr; `toFloat`
/// converts the 24-bit integers.
template <typename U, typename F, typename Coords, typename ToFloat,
          typename Sqrt, typename Log, typename Cos>
F gaussianDraw(U seed, U salt, const Coords &coords, ToFloat toFloat,
               Sqrt sqrtFn, Log logFn, Cos cosFn) {
  U h1 = dropoutHash<U>(seed, salt * U(2u), coords);
  U h2 = dropoutHash<U>(seed, salt * U(2u) + U(1u), coords);
  F u1 = (toFloat(h1 >> U(8u)) + F(1.0f)) * F(1.0f / 16777216.0f);
  F u2 = toFloat(h2 >> U(8u)) * F(1.0f / 16777216.0f);
  return sqrtFn(F(-2.0f) * logFn(u1)) * cosFn(F(6.2831853f) * u2);
}

} // namespace kiln::nn

#endif // KILN_DIALECTS_NN_DROPOUT_MASK_H

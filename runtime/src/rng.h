//===- rng.h - a small, portable, seeded random generator -------*- C++ -*-===//
//
// xoshiro256** seeded through splitmix64: the same stream on every platform
// and standard library (std:: distributions are implementation-defined), so
// a seed reproduces a run anywhere.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_RNG_H
#define KILN_RUNTIME_RNG_H

#include <cmath>
#include <cstdint>

namespace kiln::rt {

inline uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class Rng {
public:
  /// `stream` separates independent uses of one seed (each parameter, the
  /// split, the shuffles).
  explicit Rng(uint64_t seed, uint64_t stream = 0) {
    uint64_t s = seed ^ (stream * 0xd1342543de82ef95ull);
    for (uint64_t &w : s_)
      w = splitmix64(s);
  }

  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return (next() >> 11) * 0x1.0p-53; }

  /// Uniform integer in [0, n), unbiased.
  uint64_t below(uint64_t n) {
    uint64_t limit = -n % n; // 2^64 mod n
    for (;;) {
      uint64_t x = next();
      if (x >= limit)
        return x % n;
    }
  }

  /// Standard normal (Box–Muller).
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300)
      u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_RNG_H

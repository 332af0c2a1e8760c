// --kiln-fuse=explain says why each candidate merge was refused (Debian's
// LLVM has no assertions, so -debug-only=kiln-fuse is not available).
// RUN: kiln-opt %s --kiln-fuse=explain=true -o /dev/null 2>&1 | FileCheck %s
// Without the option it says nothing.
// RUN: kiln-opt %s --kiln-fuse -o /dev/null 2>&1 | count 0

// The exp feeding the matmul stays out of it (the K loop would recompute
// it); the add of another shape stays out of the reduction.
// CHECK: kiln-fuse: prologue: not merging 'nn.matmul' (op 1, {{.*}}) with 'nn.exp' (op 0, {{.*}}): a matmul or convolution operand would be recomputed in its K loop
// CHECK: kiln-fuse: epilogue: not merging 'nn.reduce_sum' (op 3, {{.*}}) with 'nn.add' (op 4, {{.*}}): its result's shape differs from the group's anchor
func.func @refusals(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %b: tensor<16xf32>) -> tensor<?x16xf32> {
  %0 = nn.exp %x : tensor<?x8xf32>
  %1 = nn.matmul %0, %w : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<?x16xf32>
  %2 = nn.relu %1 : tensor<?x16xf32>
  %3 = nn.reduce_sum %2 axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  %4 = nn.add %2, %3 : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %4 : tensor<?x16xf32>
}

nn.model @m {
  %x = nn.input "x" : tensor<?x1xf32>
}
func.func @f() {
  %y = nn.neg %x : tensor<?x1xf32>

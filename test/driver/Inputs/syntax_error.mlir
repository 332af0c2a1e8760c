nn.model @m {
  %x = nn.input "x" : tensor<?x3xf32>
  %y = nn.frobnicate %x : tensor<?x3xf32>
}

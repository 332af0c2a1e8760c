%d = nn.neg %x : tensor<?x1xf32>
nn.model @m {
  %x = nn.input "x" : tensor<?x1xf32>

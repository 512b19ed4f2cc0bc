module github.com/wsactor/wsactor/bench

go 1.26.0

replace github.com/wsactor/wsactor => ../

require go.uber.org/goleak v1.3.0

require github.com/stretchr/testify v1.8.4 // indirect

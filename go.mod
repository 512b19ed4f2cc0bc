module github.com/wsactor/wsactor

go 1.26.0

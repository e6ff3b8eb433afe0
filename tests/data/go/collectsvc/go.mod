module example.com/collectsvc

go 1.22

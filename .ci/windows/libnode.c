// napi-build refuses to build for *-windows-gnu without a libnode.dll to link against. This
// empty DLL satisfies it: the addon imports no symbol from it and resolves Node-API from the
// node.exe that loads it at run time.

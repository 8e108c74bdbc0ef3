using System.Runtime.CompilerServices;

// Nothing in this assembly may depend on the runtime's marshalling, which Native AOT and trimming cannot always
// provide (Pkcs11Interop's "CK_FUNCTION_LIST is missing structure marshalling data"): P/Invokes are LibraryImport
// (marshalled by generated code), PKCS#11 calls go through function pointers with blittable arguments. With this,
// a P/Invoke or function pointer that would need runtime marshalling does not compile.
[assembly: DisableRuntimeMarshalling]

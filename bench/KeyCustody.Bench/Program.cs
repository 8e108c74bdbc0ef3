using BenchmarkDotNet.Running;
using KeyCustody.Bench;

// `write-data DIR` regenerates the benchmark inputs; anything else goes to BenchmarkDotNet.
if (args.Length == 2 && args[0] == "write-data")
{
    BenchData.Write(args[1]);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(MatrixBenchmarks).Assembly).Run(args);
return 0;

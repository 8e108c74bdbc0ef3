// The pipeline harness (the daemon) runs on Linux only; so do these tests.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// The daemon runs on Linux only (Unix sockets, file modes); so does this harness.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// The benchmarks read /proc, run GNU time and du, and compare with Linux builds of restic and borg.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

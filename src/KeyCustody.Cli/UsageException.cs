namespace KeyCustody.Cli;

/// <summary>A problem with what the user gave us; printed as one <c>error:</c> line, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

using System.Runtime.InteropServices;
using System.Text;

namespace KeyCustody.Tests.Shared;

/// <summary>
/// Sets a variable in this process's native environment (libc setenv), which native libraries (libpcsclite,
/// SoftHSM2) read; Environment.SetEnvironmentVariable does not reach them. Blittable byte arrays: no unsafe code.
/// </summary>
internal static class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        SetNative(name, value);
        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>Only the native environment: child processes started from .NET (which take the managed one) do not see it.</summary>
    public static void SetNative(string name, string value)
    {
        if (SetEnv(Encoding.UTF8.GetBytes(name + "\0"), Encoding.UTF8.GetBytes(value + "\0"), 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed");
        }
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv(byte[] name, byte[] value, int overwrite);
}

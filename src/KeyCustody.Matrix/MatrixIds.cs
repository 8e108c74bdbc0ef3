namespace KeyCustody.Matrix;

/// <summary>Light checks of Matrix identifiers: enough to refuse what is clearly not one, never to rewrite it.</summary>
public static class MatrixIds
{
    /// <summary>A user ID: <c>@localpart:server</c>, at most 255 bytes (historical localparts are allowed).</summary>
    public static bool IsUserId(string? value)
    {
        if (value is null || value.Length < 4 || value[0] != '@' || System.Text.Encoding.UTF8.GetByteCount(value) > 255)
        {
            return false;
        }

        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 1 || colon >= value.Length - 1)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws <see cref="MatrixFormatException"/> unless <paramref name="value"/> is a user ID.</summary>
    public static string RequireUserId(string? value, string what)
    {
        if (!IsUserId(value))
        {
            throw new MatrixFormatException($"{what} must be a Matrix user ID like @alice:example.org, not '{value}'");
        }

        return value!;
    }
}

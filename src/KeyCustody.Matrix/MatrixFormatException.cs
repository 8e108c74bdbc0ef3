namespace KeyCustody.Matrix;

/// <summary>
/// Well-formed JSON that is not a valid Matrix object for the operation asked (a <c>signatures</c>
/// member that is not an object, a cross-signing key with two keys, ...). The message says what.
/// </summary>
public sealed class MatrixFormatException : FormatException
{
    public MatrixFormatException(string message)
        : base(message)
    {
    }

    public MatrixFormatException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

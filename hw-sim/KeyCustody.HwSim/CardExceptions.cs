namespace KeyCustody.HwSim;

/// <summary>The card was pulled out (before or during the command); like SCARD_W_REMOVED_CARD.</summary>
public sealed class CardRemovedException : Exception
{
    public CardRemovedException()
        : base("the card was removed")
    {
    }

    public CardRemovedException(string message)
        : base(message)
    {
    }

    public CardRemovedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The card was reset or powered down since this connection was made; like SCARD_W_RESET_CARD.</summary>
public sealed class CardResetException : Exception
{
    public CardResetException()
        : base("the card was reset")
    {
    }

    public CardResetException(string message)
        : base(message)
    {
    }

    public CardResetException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

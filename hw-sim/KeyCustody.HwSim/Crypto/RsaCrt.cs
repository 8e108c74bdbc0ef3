using System.Numerics;

namespace KeyCustody.HwSim.Crypto;

/// <summary>
/// RSA arithmetic on the CRT form the card stores (p, q, dP, dQ, qInv; e is always 65537, as on the YubiKey).
/// .NET's RSA has no raw (unpadded) private operation, which is what PIV's GENERAL AUTHENTICATE is, so it is done
/// here with BigInteger. BigInteger is neither constant-time nor zeroable: fine for a simulator, said in the README.
/// </summary>
internal sealed class RsaCrt
{
    public static readonly BigInteger PublicExponent = 65537;

    private RsaCrt(BigInteger p, BigInteger q, BigInteger dp, BigInteger dq, BigInteger qInv)
    {
        P = p;
        Q = q;
        DP = dp;
        DQ = dq;
        QInv = qInv;
        Modulus = p * q;
    }

    public BigInteger P { get; }
    public BigInteger Q { get; }
    public BigInteger DP { get; }
    public BigInteger DQ { get; }
    public BigInteger QInv { get; }
    public BigInteger Modulus { get; }

    /// <summary>The components if they make an RSA key of exactly <paramref name="bits"/> bits with e = 65537; else null.</summary>
    public static RsaCrt? TryCreate(int bits, BigInteger p, BigInteger q, BigInteger dp, BigInteger dq, BigInteger qInv)
    {
        if (p <= 2 || q <= 2 || p == q)
        {
            return null;
        }

        var key = new RsaCrt(p, q, dp, dq, qInv);
        bool consistent = key.Modulus.GetBitLength() == bits
            && dp > 0 && dq > 0 && qInv > 0
            && (PublicExponent * dp) % (p - 1) == 1
            && (PublicExponent * dq) % (q - 1) == 1
            && (qInv * q) % p == 1;
        return consistent ? key : null;
    }

    /// <summary>c^d mod n through the CRT (Garner).</summary>
    public BigInteger PrivateOperation(BigInteger c)
    {
        var m1 = BigInteger.ModPow(c, DP, P);
        var m2 = BigInteger.ModPow(c, DQ, Q);
        var h = QInv * (m1 - m2) % P;
        if (h.Sign < 0)
        {
            h += P;
        }

        return m2 + (h * Q);
    }

    /// <summary>d = e^-1 mod (p-1)(q-1), which .NET's RSA import needs besides the CRT values.</summary>
    public BigInteger PrivateExponent() => ModInverse(PublicExponent, (P - 1) * (Q - 1));

    private static BigInteger ModInverse(BigInteger value, BigInteger modulus)
    {
        BigInteger r0 = modulus, r1 = value % modulus, t0 = 0, t1 = 1;
        while (r1 != 0)
        {
            var quotient = r0 / r1;
            (r0, r1) = (r1, r0 - (quotient * r1));
            (t0, t1) = (t1, t0 - (quotient * t1));
        }

        if (r0 != 1)
        {
            throw new ArgumentException("not invertible", nameof(value));
        }

        return t0.Sign < 0 ? t0 + modulus : t0;
    }
}

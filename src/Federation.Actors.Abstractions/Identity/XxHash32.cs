using System.Buffers.Binary;
using System.Numerics;

namespace Federation.Actors;

/// <summary>
/// XxHash32 with seed 0, the hash Orleans uses for <see cref="GrainId"/>'s stable (uniform) hash.
/// Written here because System.IO.Hashing is not served by this project's package registry.
/// Must give the same value on every node and every version: it decides directory ownership,
/// hash placement and the reminder table's grain hash column.
/// </summary>
public static class XxHash32
{
    private const uint Prime1 = 2654435761U;
    private const uint Prime2 = 2246822519U;
    private const uint Prime3 = 3266489917U;
    private const uint Prime4 = 668265263U;
    private const uint Prime5 = 374761393U;

    /// <summary>Hashes <paramref name="data"/> with the given seed (0 for Orleans' stable hash).</summary>
    public static uint Hash(ReadOnlySpan<byte> data, uint seed = 0)
    {
        var length = data.Length;
        uint acc;
        var offset = 0;
        if (length >= 16)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            while (offset <= length - 16)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]));
                v2 = Round(v2, BinaryPrimitives.ReadUInt32LittleEndian(data[(offset + 4)..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt32LittleEndian(data[(offset + 8)..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt32LittleEndian(data[(offset + 12)..]));
                offset += 16;
            }

            acc = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        }
        else
        {
            acc = seed + Prime5;
        }

        acc += (uint)length;
        while (offset <= length - 4)
        {
            acc += BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]) * Prime3;
            acc = BitOperations.RotateLeft(acc, 17) * Prime4;
            offset += 4;
        }

        while (offset < length)
        {
            acc += data[offset] * Prime5;
            acc = BitOperations.RotateLeft(acc, 11) * Prime1;
            offset++;
        }

        acc ^= acc >> 15;
        acc *= Prime2;
        acc ^= acc >> 13;
        acc *= Prime3;
        acc ^= acc >> 16;
        return acc;
    }

    private static uint Round(uint acc, uint lane)
    {
        acc += lane * Prime2;
        acc = BitOperations.RotateLeft(acc, 13);
        return acc * Prime1;
    }
}

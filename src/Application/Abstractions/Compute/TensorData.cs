namespace TinkerServer.Application.Abstractions.Compute;

public enum TensorDType
{
    Float32 = 0,
    Int64 = 1,
}

/// <summary>
/// A dense tensor as the Tinker API exchanges it (loss_fn_inputs, loss_fn_outputs). Exactly one of
/// <see cref="Floats"/> (Float32) and <see cref="Ints"/> (Int64) is set; data is row-major.
/// </summary>
public sealed record TensorData
{
    private TensorData(TensorDType dtype, int[] shape, float[]? floats, long[]? ints)
    {
        DType = dtype;
        Shape = shape;
        Floats = floats;
        Ints = ints;
    }

    public TensorDType DType { get; }

    public int[] Shape { get; }

    public float[]? Floats { get; }

    public long[]? Ints { get; }

    public int Length => Floats?.Length ?? Ints!.Length;

    public static TensorData FromFloats(float[] data, int[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new TensorData(TensorDType.Float32, CheckShape(shape, data.Length), data, null);
    }

    public static TensorData FromInts(long[] data, int[]? shape = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new TensorData(TensorDType.Int64, CheckShape(shape, data.Length), null, data);
    }

    /// <summary>The values as float32 whatever the dtype (weights, advantages may arrive as int64).</summary>
    public float[] ToFloatArray() => Floats ?? Array.ConvertAll(Ints!, v => (float)v);

    /// <summary>The values as int64 whatever the dtype (target tokens may arrive as float32).</summary>
    public long[] ToInt64Array() => Ints ?? Array.ConvertAll(Floats!, v => (long)v);

    private static int[] CheckShape(int[]? shape, int length)
    {
        if (shape is null)
        {
            return [length];
        }

        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException("Tensor dimensions must not be negative.", nameof(shape));
            }

            count *= d;
        }

        if (count != length)
        {
            throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] holds {count} elements but data has {length}.", nameof(shape));
        }

        return shape;
    }
}

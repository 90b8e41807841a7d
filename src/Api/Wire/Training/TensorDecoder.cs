using TinkerServer.Application.Abstractions.Compute;

namespace TinkerServer.Api.Wire.Training;

/// <summary>Tensor values as decoded from the wire, already in an application dtype (int32 widened to int64).</summary>
internal readonly record struct TensorValues(float[]? Floats, long[]? Ints)
{
    public int Length => Floats?.Length ?? Ints!.Length;

    public TensorDType DType => Floats is not null ? TensorDType.Float32 : TensorDType.Int64;

    public int ElementSize => Floats is not null ? sizeof(float) : sizeof(long);
}

/// <summary>
/// How many bytes of dense tensor one request may still decode into. Shared by every tensor of a request so a
/// batch of small CSR tensors with huge declared shapes cannot add up to an unbounded allocation.
/// </summary>
internal sealed class TensorBudget(long maxBytes)
{
    private long _used;

    public void Take(long elements, int elementSize, string what)
    {
        // elements ≤ Array.MaxLength here, so the product cannot overflow.
        var bytes = elements * elementSize;
        if (bytes > maxBytes - _used)
        {
            throw WireFormatException.Unprocessable(
                $"{what}: decoding this tensor would exceed the limit of {maxBytes} bytes of tensor data per request.");
        }

        _used += bytes;
    }
}

/// <summary>
/// Builds application tensors from dense or sparse CSR wire data, shared by the protobuf and JSON readers so both
/// apply the same checks. Every inconsistency is a 422 naming the tensor.
/// </summary>
internal static class TensorDecoder
{
    public static TensorData Dense(string what, TensorValues values, long[]? shape, TensorBudget budget)
    {
        int[]? dims = null;
        if (shape is not null)
        {
            dims = ToDims(what, shape, out var count);
            if (count != values.Length)
            {
                throw WireFormatException.Unprocessable(
                    $"{what}: shape [{string.Join(", ", shape)}] holds {count} elements but {values.Length} values were sent.");
            }
        }

        budget.Take(values.Length, values.ElementSize, what);
        return values.Floats is not null ? TensorData.FromFloats(values.Floats, dims) : TensorData.FromInts(values.Ints!, dims);
    }

    /// <summary>Densifies CSR data; entries not listed are 0 (the wire carries no pad value).</summary>
    public static TensorData SparseCsr(string what, TensorValues values, long[]? shape, long[] crowIndices, long[] colIndices, TensorBudget budget)
    {
        if (shape is null || shape.Length == 0)
        {
            throw WireFormatException.Unprocessable($"{what}: a sparse CSR tensor needs its shape.");
        }

        if (shape.Length != 2)
        {
            throw WireFormatException.Unprocessable($"{what}: a sparse CSR tensor must be 2-D, got shape [{string.Join(", ", shape)}].");
        }

        var dims = ToDims(what, shape, out var count);
        int rows = dims[0], cols = dims[1];
        var nnz = values.Length;
        if (crowIndices.Length != (long)rows + 1)
        {
            throw WireFormatException.Unprocessable(
                $"{what}: crow_indices has {crowIndices.Length} entries; {rows} rows need {(long)rows + 1}.");
        }

        if (colIndices.Length != nnz)
        {
            throw WireFormatException.Unprocessable($"{what}: col_indices has {colIndices.Length} entries but {nnz} values were sent.");
        }

        if (crowIndices[0] != 0 || crowIndices[rows] != nnz)
        {
            throw WireFormatException.Unprocessable(
                $"{what}: crow_indices must start at 0 and end at the number of values ({nnz}).");
        }

        for (var r = 0; r < rows; r++)
        {
            long start = crowIndices[r], end = crowIndices[r + 1];
            if (end < start || end > nnz)
            {
                throw WireFormatException.Unprocessable($"{what}: crow_indices must be non-decreasing (row {r}).");
            }

            for (var i = start; i < end; i++)
            {
                var col = colIndices[i];
                if (col < 0 || col >= cols)
                {
                    throw WireFormatException.Unprocessable($"{what}: column index {col} in row {r} is outside [0, {cols}).");
                }

                if (i > start && col <= colIndices[i - 1])
                {
                    throw WireFormatException.Unprocessable($"{what}: column indices of row {r} must be strictly increasing.");
                }
            }
        }

        budget.Take(count, values.ElementSize, what);
        if (values.Floats is not null)
        {
            var dense = new float[count];
            Scatter(values.Floats, dense, crowIndices, colIndices, rows, cols);
            return TensorData.FromFloats(dense, dims);
        }

        var denseInts = new long[count];
        Scatter(values.Ints!, denseInts, crowIndices, colIndices, rows, cols);
        return TensorData.FromInts(denseInts, dims);
    }

    /// <summary>Dimensions as int, checked non-negative and small enough for one array.</summary>
    public static int[] ToDims(string what, long[] shape, out int elementCount)
    {
        var dims = new int[shape.Length];
        long count = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            var d = shape[i];
            if (d < 0 || d > Array.MaxLength)
            {
                throw WireFormatException.Unprocessable($"{what}: shape dimension {d} is out of range.");
            }

            dims[i] = (int)d;
            count = d == 0 ? 0 : (count > Array.MaxLength / d ? long.MaxValue : count * d);
        }

        if (count > Array.MaxLength)
        {
            throw WireFormatException.Unprocessable($"{what}: shape [{string.Join(", ", shape)}] has too many elements.");
        }

        elementCount = (int)count;
        return dims;
    }

    private static void Scatter<T>(T[] values, T[] dense, long[] crow, long[] col, int rows, int cols)
    {
        for (var r = 0; r < rows; r++)
        {
            var rowStart = (long)r * cols;
            for (var i = crow[r]; i < crow[r + 1]; i++)
            {
                dense[rowStart + col[i]] = values[i];
            }
        }
    }
}

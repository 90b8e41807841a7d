namespace TinkerServer.Infrastructure.Compute.SafeTensors;

/// <summary>One tensor of a safetensors header; offsets are relative to the start of the data buffer.</summary>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape)
            {
                n = checked(n * d);
            }

            return n;
        }
    }

    public long ByteLength => End - Begin;
}

namespace TinkerServer.Infrastructure.Compute.SafeTensors;

/// <summary>The safetensors dtypes, declared in the Rust crate's enum order (which is its alignment sort order).</summary>
public enum SafeTensorDType
{
    Bool = 0,
    U8 = 1,
    I8 = 2,
    F8E5M2 = 3,
    F8E4M3 = 4,
    I16 = 5,
    U16 = 6,
    F16 = 7,
    BF16 = 8,
    I32 = 9,
    U32 = 10,
    F32 = 11,
    F64 = 12,
    I64 = 13,
    U64 = 14,
}

public static class SafeTensorDTypes
{
    public static int SizeOf(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.Bool or SafeTensorDType.U8 or SafeTensorDType.I8 or SafeTensorDType.F8E5M2 or SafeTensorDType.F8E4M3 => 1,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 4,
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static string ToName(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.Bool => "BOOL",
        SafeTensorDType.U8 => "U8",
        SafeTensorDType.I8 => "I8",
        SafeTensorDType.F8E5M2 => "F8_E5M2",
        SafeTensorDType.F8E4M3 => "F8_E4M3",
        SafeTensorDType.I16 => "I16",
        SafeTensorDType.U16 => "U16",
        SafeTensorDType.F16 => "F16",
        SafeTensorDType.BF16 => "BF16",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.U32 => "U32",
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.F64 => "F64",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.U64 => "U64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static bool TryParse(string? name, out SafeTensorDType dtype)
    {
        dtype = name switch
        {
            "BOOL" => SafeTensorDType.Bool,
            "U8" => SafeTensorDType.U8,
            "I8" => SafeTensorDType.I8,
            "F8_E5M2" => SafeTensorDType.F8E5M2,
            "F8_E4M3" => SafeTensorDType.F8E4M3,
            "I16" => SafeTensorDType.I16,
            "U16" => SafeTensorDType.U16,
            "F16" => SafeTensorDType.F16,
            "BF16" => SafeTensorDType.BF16,
            "I32" => SafeTensorDType.I32,
            "U32" => SafeTensorDType.U32,
            "F32" => SafeTensorDType.F32,
            "F64" => SafeTensorDType.F64,
            "I64" => SafeTensorDType.I64,
            "U64" => SafeTensorDType.U64,
            _ => (SafeTensorDType)(-1),
        };
        return (int)dtype >= 0;
    }
}

/// <summary>A file that breaks the safetensors rules (or a tensor that is missing or of the wrong kind).</summary>
public sealed class SafeTensorsFormatException(string message) : Exception(message);

using System.Buffers.Binary;
using System.Text;
using TinkerServer.Infrastructure.Compute.SafeTensors;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class SafeTensorsTests
{
    private static byte[] File(string header, int dataBytes, int? declaredLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(declaredLength ?? h.Length));
        h.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Writer_reproduces_the_rust_crate_test_vector()
    {
        var bytes = SafeTensorsWriter.ToBytes([SafeTensorEntry.FromFloats("attn.0", [0, 1, 2, 3, 4, 5], 1, 2, 3)]);
        bytes.Should().HaveCount(96);
        bytes[..8].Should().Equal(0x40, 0, 0, 0, 0, 0, 0, 0);
        Encoding.UTF8.GetString(bytes, 8, 64).Should().Be("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}");
        bytes[72..84].Should().Equal(0, 0, 0, 0, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40);
    }

    [Fact]
    public void Writer_pads_headers_with_spaces_to_eight_bytes()
    {
        var empty = SafeTensorsWriter.ToBytes([]);
        empty.Should().Equal([8, 0, 0, 0, 0, 0, 0, 0, .. "{}      "u8.ToArray()]);

        var meta = SafeTensorsWriter.ToBytes([], new Dictionary<string, string> { ["framework"] = "pt" });
        BinaryPrimitives.ReadUInt64LittleEndian(meta).Should().Be(40);
        Encoding.UTF8.GetString(meta, 8, 40).Should().Be("{\"__metadata__\":{\"framework\":\"pt\"}}     ");

        var four = SafeTensorsWriter.ToBytes([SafeTensorEntry.FromFloats("attn0", new float[6], 1, 1, 2, 3)]);
        BinaryPrimitives.ReadUInt64LittleEndian(four).Should().Be(72);
        Encoding.UTF8.GetString(four, 8, 72).Should().EndWith("}       ");
    }

    [Fact]
    public void Writer_sorts_by_dtype_alignment_then_name()
    {
        var bytes = SafeTensorsWriter.ToBytes(
        [
            new SafeTensorEntry("b16", SafeTensorDType.F16, [1], new byte[2]),
            SafeTensorEntry.FromFloats("z32", [1f], 1),
            SafeTensorEntry.FromFloats("a32", [2f], 1),
            new SafeTensorEntry("i64", SafeTensorDType.I64, [1], new byte[8]),
        ]);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        header.IndexOf("i64", StringComparison.Ordinal).Should().BeLessThan(header.IndexOf("a32", StringComparison.Ordinal));
        header.IndexOf("a32", StringComparison.Ordinal).Should().BeLessThan(header.IndexOf("z32", StringComparison.Ordinal));
        header.IndexOf("z32", StringComparison.Ordinal).Should().BeLessThan(header.IndexOf("b16", StringComparison.Ordinal));
        var file = SafeTensorsFile.Parse(bytes);
        file.ReadFloat32("a32").Should().Equal(2f);
        file.ReadFloat32("z32").Should().Equal(1f);
    }

    public static TheoryData<string> FixtureFiles() =>
    [
        .. Directory.GetFiles(Qwen3TinyFixture.Directory, "*.safetensors").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal),
        "model/model.safetensors",
    ];

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Rewriting_a_fixture_file_is_byte_identical(string name)
    {
        var original = System.IO.File.ReadAllBytes(Qwen3TinyFixture.PathOf(name));
        var file = SafeTensorsFile.Parse(original);
        var rewritten = SafeTensorsWriter.ToBytes(
            file.Tensors.Select(t => new SafeTensorEntry(t.Name, t.DType, t.Shape, file.ReadBytes(t.Name))),
            file.Metadata.Count > 0 ? file.Metadata : null);
        rewritten.Should().Equal(original);
    }

    [Fact]
    public void Half_precision_dtypes_are_converted_to_float32()
    {
        var bf16 = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(bf16, 0x3FC0); // 1.5
        BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(2), 0xC020); // -2.5
        var f16 = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(f16, BitConverter.HalfToUInt16Bits((Half)0.25f));
        BinaryPrimitives.WriteUInt16LittleEndian(f16.AsSpan(2), BitConverter.HalfToUInt16Bits((Half)(-3f)));
        var file = SafeTensorsFile.Parse(SafeTensorsWriter.ToBytes(
        [
            new SafeTensorEntry("b", SafeTensorDType.BF16, [2], bf16),
            new SafeTensorEntry("h", SafeTensorDType.F16, [2], f16),
        ]));
        file.ReadFloat32("b").Should().Equal(1.5f, -2.5f);
        file.ReadFloat32("h").Should().Equal(0.25f, -3f);
    }

    [Fact]
    public void Metadata_and_scalars_and_empty_tensors_round_trip()
    {
        var bytes = SafeTensorsWriter.ToBytes(
        [
            SafeTensorEntry.FromFloats("scalar", [7f]),
            SafeTensorEntry.FromFloats("empty", [], 0, 3),
        ], new Dictionary<string, string> { ["step"] = "3", ["quote\"d"] = "a\nb" });
        var file = SafeTensorsFile.Parse(bytes);
        file.Metadata["step"].Should().Be("3");
        file.Metadata["quote\"d"].Should().Be("a\nb");
        file.Get("scalar").Shape.Should().BeEmpty();
        file.ReadFloat32("scalar").Should().Equal(7f);
        file.ReadFloat32("empty").Should().BeEmpty();
    }

    public static TheoryData<string, byte[]> Invalid() => new()
    {
        { "too short", new byte[5] },
        { "header past end", File("{}", 0, declaredLength: 100) },
        { "header too large", File("{}", 0, declaredLength: 100_000_001) },
        { "not an object", File("[1,2]   ", 0) },
        { "leading space", File(" {}     ", 0) },
        { "bad json", File("{\"a\":   ", 0) },
        { "gap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8) },
        { "overlap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8) },
        { "size mismatch", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8) },
        { "trailing data", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8) },
        { "duplicate", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8) },
        { "unknown dtype", File("{\"a\":{\"dtype\":\"F4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1) },
        { "metadata not string", File("{\"__metadata__\":{\"step\":3}}", 0) },
        { "negative dim", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4) },
        { "overflowing shape", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,4]}}", 4) },
        { "offsets reversed", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_files_are_rejected(string why, byte[] bytes)
    {
        var act = () => SafeTensorsFile.Parse(bytes);
        act.Should().Throw<SafeTensorsFormatException>(why);
    }

    [Fact]
    public void Unaligned_headers_are_read()
    {
        // MLX writes unpadded headers: data need not start 8-aligned.
        var bytes = File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        BitConverter.GetBytes(2.5f).CopyTo(bytes, bytes.Length - 4);
        SafeTensorsFile.Parse(bytes).ReadFloat32("a").Should().Equal(2.5f);
    }

    [Fact]
    public void Open_reads_from_disk_lazily()
    {
        var path = Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllBytes(path, SafeTensorsWriter.ToBytes([SafeTensorEntry.FromFloats("w", [1, 2, 3], 3)]));
            using var file = SafeTensorsFile.Open(path);
            file.ReadFloat32("w").Should().Equal(1f, 2f, 3f);
            var missing = () => file.ReadFloat32("nope");
            missing.Should().Throw<SafeTensorsFormatException>();
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }
}

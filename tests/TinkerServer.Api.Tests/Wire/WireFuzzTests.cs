using Google.Protobuf;
using TinkerServer.Api.Wire;
using TinkerServer.Api.Wire.Training;
using ZstdSharp;

namespace TinkerServer.Api.Tests.Wire;

/// <summary>
/// Mutated bodies must either decode or fail with <see cref="WireFormatException"/>; any other exception would
/// surface as a 500 for a client mistake.
/// </summary>
public class WireFuzzTests
{
    private static readonly ForwardBackwardRequestReader Reader = new(new WireLimits { MaxDecodedTensorBytes = 16 * 1024 * 1024 });

    private static async Task DecodesOrRejects(byte[] body, string contentType, string? encoding)
    {
        try
        {
            await Reader.ReadAsync(ForwardBackwardRoute.ForwardBackward, contentType, encoding, body.Length, new MemoryStream(body), CancellationToken.None);
        }
        catch (WireFormatException)
        {
        }
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(3))
        {
            case 0:
                for (var i = 0; i < 1 + random.Next(4); i++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(bytes.Length)];
            default:
                var position = random.Next(bytes.Length);
                return [.. bytes[..position], .. Enumerable.Range(0, 1 + random.Next(8)).Select(_ => (byte)random.Next(256)), .. bytes[position..]];
        }
    }

    [Fact]
    public async Task Mutated_protobuf_bodies_never_escape_as_other_exceptions()
    {
        var random = new Random(5);
        var original = SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch(), sparse: true).ToByteArray();

        for (var i = 0; i < 3000; i++)
        {
            var body = Mutate(original, random);
            var act = () => DecodesOrRejects(body, WireContentTypes.Protobuf, null);
            await act.Should().NotThrowAsync($"mutation {i}: {Convert.ToHexString(body)}");
        }
    }

    [Fact]
    public async Task Mutated_zstd_bodies_never_escape_as_other_exceptions()
    {
        var random = new Random(6);
        using var compressor = new Compressor(3);
        var original = compressor.Wrap(SdkWire.EncodeRequest("m", 1, SdkWire.SampleBatch()).ToByteArray()).ToArray();

        for (var i = 0; i < 2000; i++)
        {
            var body = Mutate(original, random);
            var act = () => DecodesOrRejects(body, WireContentTypes.Protobuf, "zstd");
            await act.Should().NotThrowAsync($"mutation {i}: {Convert.ToHexString(body)}");
        }
    }

    [Fact]
    public async Task Mutated_json_bodies_never_escape_as_other_exceptions()
    {
        var random = new Random(7);
        var original = System.Text.Encoding.UTF8.GetBytes("""
            {"model_id": "m", "seq_id": 2, "forward_backward_input": {"data": [{"model_input": {"chunks": [{"type": "encoded_text", "tokens": [1, 2]}]},
              "loss_fn_inputs": {"w": {"data": [0.5, 2], "dtype": "float32", "shape": [1, 2], "sparse_crow_indices": [0, 2], "sparse_col_indices": [0, 1]},
              "t": {"data": [3, 4], "dtype": "int64"}}}], "loss_fn": "cross_entropy", "loss_fn_config": {"a": 1}}}
            """);

        for (var i = 0; i < 3000; i++)
        {
            var body = Mutate(original, random);
            var act = () => DecodesOrRejects(body, WireContentTypes.Json, null);
            await act.Should().NotThrowAsync($"mutation {i}: {System.Text.Encoding.UTF8.GetString(body)}");
        }
    }
}

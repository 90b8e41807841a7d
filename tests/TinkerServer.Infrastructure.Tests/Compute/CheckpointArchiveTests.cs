using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using TinkerServer.Application.Abstractions.Compute;
using TinkerServer.Infrastructure.Compute.Reference;

namespace TinkerServer.Infrastructure.Tests.Compute;

public sealed class CheckpointArchiveTests
{
    private static byte[] Tar(Action<TarWriter> write, bool gzip)
    {
        var ms = new MemoryStream();
        Stream target = gzip ? new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true) : ms;
        using (var writer = new TarWriter(target, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        if (gzip)
        {
            target.Dispose();
        }

        return ms.ToArray();
    }

    private static void File(TarWriter w, string name, string content) =>
        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_gzip_or_plain_tar_skipping_directories_and_dot_prefixes(bool gzip)
    {
        var bytes = Tar(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./"));
            File(w, "./adapter_config.json", "{}");
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "sub/"));
            File(w, "sub/x.txt", "x");
        }, gzip);
        var entries = CheckpointArchive.ReadEntries(new MemoryStream(bytes));
        entries.Keys.Should().BeEquivalentTo("adapter_config.json", "sub/x.txt");
        Encoding.UTF8.GetString(entries["sub/x.txt"]).Should().Be("x");
    }

    [Fact]
    public void Rejects_links_traversal_and_absolute_names()
    {
        var link = Tar(w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "adapter_config.json") { LinkName = "/etc/passwd" }), true);
        var traversal = Tar(w => File(w, "../evil", "x"), true);
        var absolute = Tar(w => File(w, "/abs", "x"), false);
        foreach (var bytes in new[] { link, traversal, absolute })
        {
            var act = () => CheckpointArchive.ReadEntries(new MemoryStream(bytes));
            act.Should().Throw<InvalidComputeRequestException>();
        }
    }

    [Fact]
    public void Corrupt_archives_are_user_errors()
    {
        var good = Tar(w => File(w, "adapter_config.json", new string('x', 5000)), true);
        var rng = new Xoshiro256StarStar(3);
        var candidates = new List<byte[]> { good[..(good.Length / 2)], good[..10], new byte[] { 0x1f, 0x8b }, Array.Empty<byte>() };
        for (var i = 0; i < 20; i++)
        {
            var bytes = (byte[])good.Clone();
            bytes[(int)(rng.NextUInt64() % (ulong)bytes.Length)] ^= 0xFF;
            candidates.Add(bytes);
            var noise = new byte[600];
            for (var j = 0; j < noise.Length; j++)
            {
                noise[j] = (byte)rng.NextUInt64();
            }

            candidates.Add(noise);
        }

        foreach (var bytes in candidates)
        {
            try
            {
                CheckpointArchive.ReadEntries(new MemoryStream(bytes));
            }
            catch (InvalidComputeRequestException)
            {
            }
        }
    }

    [Fact]
    public void Reads_the_fixture_peft_adapter_packed_like_python_tarfile()
    {
        var config = Qwen3TinyFixture.Instance.Weights.Config;
        var bytes = Tar(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "."));
            w.WriteEntryAsync(Qwen3TinyFixture.PathOf("adapter_config.json"), "adapter_config.json").GetAwaiter().GetResult();
            w.WriteEntryAsync(Qwen3TinyFixture.PathOf("adapter_model.safetensors"), "adapter_model.safetensors").GetAwaiter().GetResult();
        }, true);
        var adapter = CheckpointArchive.ReadSampler(new MemoryStream(bytes), config, "qwen3-tiny");
        adapter.Settings.Rank.Should().Be(8);
        adapter.Scaling.Should().Be(4f);
        adapter.Modules.Should().HaveCount(14);
        var expected = Qwen3TinyFixture.Instance.LoadAdapter();
        adapter.Modules.Zip(expected.Modules).Should().OnlyContain(p => p.First.A.SequenceEqual(p.Second.A) && p.First.B.SequenceEqual(p.Second.B));

        var wrongBase = () => CheckpointArchive.ReadSampler(new MemoryStream(bytes), config, "other");
        wrongBase.Should().Throw<InvalidComputeRequestException>();
    }

    [Fact]
    public void Rejects_adapters_with_null_or_foreign_targets()
    {
        var config = Qwen3TinyFixture.Instance.Weights.Config;
        var adapter = Qwen3TinyFixture.Instance.LoadAdapter();
        var weights = PeftAdapterFormat.WeightsBytes(adapter);
        var onlyQ = Tar(w =>
        {
            File(w, "adapter_config.json", """{"peft_type":"LORA","r":8,"lora_alpha":32,"target_modules":["q_proj"]}""");
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "adapter_model.safetensors") { DataStream = new MemoryStream(weights) });
        }, true);
        var act = () => CheckpointArchive.ReadSampler(new MemoryStream(onlyQ), config, "qwen3-tiny");
        act.Should().Throw<InvalidComputeRequestException>().WithMessage("*does not belong*");

        var wrongRank = Tar(w =>
        {
            File(w, "adapter_config.json", """{"peft_type":"LORA","r":4,"lora_alpha":32,"target_modules":["q_proj","k_proj","v_proj","o_proj","gate_proj","up_proj","down_proj"]}""");
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "adapter_model.safetensors") { DataStream = new MemoryStream(weights) });
        }, true);
        var rank = () => CheckpointArchive.ReadSampler(new MemoryStream(wrongRank), config, "qwen3-tiny");
        rank.Should().Throw<InvalidComputeRequestException>().WithMessage("*shape*");
    }

    [Fact]
    public void The_written_adapter_is_byte_identical_to_the_fixture()
    {
        var adapter = Qwen3TinyFixture.Instance.LoadAdapter();
        PeftAdapterFormat.WeightsBytes(adapter).Should().Equal(System.IO.File.ReadAllBytes(Qwen3TinyFixture.PathOf("adapter_model.safetensors")));
    }
}

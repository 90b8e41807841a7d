using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Infrastructure.Configuration;
using TinkerServer.Infrastructure.Storage;

namespace TinkerServer.Infrastructure.Tests.Storage;

public sealed class StorageServiceCollectionExtensionsTests : IDisposable
{
    private readonly TempStorageRoot _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Registers_storage_at_the_configured_root_and_the_signer_as_singletons()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["TinkerServer:DataDirectory"] = _temp.Base,
                ["TinkerServer:CheckpointRoot"] = _temp.Root,
                ["TinkerServer:DownloadUrlLifetime"] = "00:02:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<TinkerServerOptions>().Bind(configuration.GetSection(TinkerServerOptions.SectionName));
        services.AddFileSystemArtifactStorage();
        await using var provider = services.BuildServiceProvider();

        var storage = provider.GetRequiredService<IArtifactStorage>();
        storage.Should().BeOfType<FileSystemArtifactStorage>().Which.Root.Should().Be(Path.GetFullPath(_temp.Root));
        provider.GetRequiredService<IArtifactStorage>().Should().BeSameAs(storage);
        var signer = provider.GetRequiredService<IDownloadUrlSigner>();
        signer.Should().BeOfType<HmacDownloadUrlSigner>();
        signer.Lifetime.Should().Be(TimeSpan.FromMinutes(2));
        provider.GetRequiredService<IDownloadUrlSigner>().Should().BeSameAs(signer);
    }
}

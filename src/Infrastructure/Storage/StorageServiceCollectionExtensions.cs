using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TinkerServer.Application.Abstractions.Storage;
using TinkerServer.Infrastructure.Configuration;

namespace TinkerServer.Infrastructure.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FileSystemArtifactStorage"/> (rooted at TinkerServer:CheckpointRoot) as
    /// <see cref="IArtifactStorage"/> and <see cref="HmacDownloadUrlSigner"/> as <see cref="IDownloadUrlSigner"/>, both singletons.
    /// </summary>
    public static IServiceCollection AddFileSystemArtifactStorage(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<TinkerServerOptions>()
            .Validate(o => o.DownloadUrlLifetime > TimeSpan.Zero, "TinkerServer:DownloadUrlLifetime must be positive.");
        services.AddSingleton(sp => new FileSystemArtifactStorage(
            sp.GetRequiredService<IOptions<TinkerServerOptions>>().Value.ResolvedCheckpointRoot,
            sp.GetService<ILogger<FileSystemArtifactStorage>>()));
        services.AddSingleton<IArtifactStorage>(sp => sp.GetRequiredService<FileSystemArtifactStorage>());
        services.AddSingleton<IDownloadUrlSigner, HmacDownloadUrlSigner>();
        return services;
    }
}

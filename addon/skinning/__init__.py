"""Blender's armature deform, outside Blender, for the few vertices a sensor needs.

`rig`     bone rest matrices (Blender's `bone.matrix_local`) and pose -> deform matrices
`lbs`     linear blend skinning of a vertex subset, weights as Blender's vertex groups hold them
`engine`  the fast IMU engine: `Motion` + body -> sensor-patch and joint positions, the same
          normalization as `Baker.setup`, no `bpy`
`batch`   torch: many clips at once (CPU or GPU)
"""
